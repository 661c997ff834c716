import type { Command } from 'commander';
import { builtinConnectors } from '../../connectors/index.ts';
import type { ConnectorDefinition } from '../../connectors/sdk/index.ts';

export type ConnectorSummary = {
  id: string;
  title: string;
  version: string;
  description: string;
  credentialType: string | null;
  actions: { id: string; title: string; effect: 'read' | 'write' }[];
  triggers: { id: string; title: string; kind: string }[];
};

export function summarizeConnector(connector: ConnectorDefinition): ConnectorSummary {
  return {
    id: connector.id,
    title: connector.title,
    version: connector.version,
    description: connector.description,
    credentialType: connector.credential?.type ?? null,
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

/** `vmesh connectors …`: returns the command so further subcommands (import-openapi) attach to it. */
export function registerConnectorsCommand(program: Command): Command {
  const connectors = program
    .command('connectors')
    .description('Connectors: list them (and import OpenAPI specs).');
  connectors
    .command('list')
    .description('List the built-in connectors with their actions and triggers.')
    .option('--json', 'print the list as JSON')
    .action((options: { json?: boolean }) => {
      const summaries = builtinConnectors.map(summarizeConnector);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
        return;
      }
      for (const summary of summaries) {
        process.stdout.write(`${summary.id} ${summary.version}  ${summary.title}: ${summary.description}\n`);
        for (const action of summary.actions)
          process.stdout.write(`  action  ${action.id} (${action.effect})\n`);
        for (const trigger of summary.triggers)
          process.stdout.write(`  trigger ${trigger.id} (${trigger.kind})\n`);
      }
    });
  return connectors;
}
