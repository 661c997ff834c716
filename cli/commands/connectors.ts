import type { Command } from 'commander';
import type { ConnectorDefinition } from '../../connectors/index.ts';
import { builtinConnectors, loadImportedConnectors } from '../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { printErr, printOut } from '../terminal-text.ts';

export type ConnectorSummary = {
  id: string;
  title: string;
  version: string;
  description: string;
  credentialType: string | null;
  /** `builtin`, or `openapi` for connectors imported with `vmesh connectors import-openapi`. */
  source: 'builtin' | 'openapi';
  actions: { id: string; title: string; effect: 'pure' | 'read' | 'write' }[];
  triggers: { id: string; title: string; kind: string }[];
};

export function summarizeConnector(
  connector: ConnectorDefinition,
  source: ConnectorSummary['source'] = 'builtin',
): ConnectorSummary {
  return {
    id: connector.id,
    title: connector.title,
    version: connector.version,
    description: connector.description,
    credentialType: connector.credential?.type ?? null,
    source,
    actions: connector.actions.map((a) => ({
      id: `${connector.id}.${a.key}`,
      title: a.title,
      effect: a.effect,
    })),
    triggers: connector.triggers.map((t) => ({
      id: `${connector.id}.${t.key}`,
      title: t.title,
      kind: t.kind,
    })),
  };
}

/** Connectors imported from OpenAPI documents (stored in the database); built-in ids win a clash. */
async function importedSummaries(): Promise<ConnectorSummary[]> {
  const builtinIds = new Set(builtinConnectors.map((connector) => connector.id));
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    database = await openDatabase(parseDatabaseConfig(), { log: () => {} });
    const imported = await loadImportedConnectors(database.sql);
    return imported
      .filter((connector) => !builtinIds.has(connector.id))
      .map((connector) => summarizeConnector(connector, 'openapi'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    printErr(
      `Could not read imported connectors from the database (${reason}); listing built-in connectors only. ` +
        'Check DATABASE_URL / VMESH_DATA_DIR.\n',
    );
    return [];
  } finally {
    await database?.close();
  }
}

/** `vmesh connectors …`: returns the command so further subcommands (import-openapi) attach to it. */
export function registerConnectorsCommand(program: Command): Command {
  const connectors = program
    .command('connectors')
    .description('Connectors: list them (and import OpenAPI specs).');
  connectors
    .command('list')
    .description('List the connectors (built-in and imported from OpenAPI) with their actions and triggers.')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => {
      const summaries = [
        ...builtinConnectors.map((connector) => summarizeConnector(connector)),
        ...(await importedSummaries()),
      ];
      if (options.json) {
        printOut(`${JSON.stringify(summaries, null, 2)}\n`);
        return;
      }
      for (const summary of summaries) {
        const origin = summary.source === 'openapi' ? ' [imported from OpenAPI]' : '';
        const flat = summary.description.replace(/\s+/g, ' ').trim();
        const description = flat.length > 160 ? `${flat.slice(0, 159)}…` : flat;
        printOut(`${summary.id} ${summary.version}${origin}  ${summary.title}: ${description}\n`);
        for (const action of summary.actions) printOut(`  action  ${action.id} (${action.effect})\n`);
        for (const trigger of summary.triggers) printOut(`  trigger ${trigger.id} (${trigger.kind})\n`);
      }
    });
  return connectors;
}
