import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { ensureLocalOwner } from '../../access/index.ts';
import {
  builtinConnectors,
  importOpenApi,
  parseSpecText,
  saveImportedConnector,
} from '../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig, type Sql } from '../../db/index.ts';
import {
  createEmbedder,
  importedDocSources,
  openApiSourcePrefix,
  syncDocIndex,
} from '../../retrieval/index.ts';
import { writeTerminal } from '../terminal-text.ts';

export type ConnectorsImportDeps = {
  /** Opens the database (migrated) and returns its client with a close function. */
  openSql(): Promise<{ sql: Sql; close(): Promise<void> }>;
  stdout: Writable;
  stderr: Writable;
};

async function openDefaultSql() {
  const database = await openDatabase(parseDatabaseConfig());
  return { sql: database.sql, close: () => database.close() };
}

/** Names an imported connector may not take: built-in connector ids and the core node prefix. */
const reservedNames = () => new Set(['core', ...builtinConnectors.map((connector) => connector.id)]);

/**
 * `vmesh connectors import-openapi SPEC --name NAME [--base-url URL] [--json]`: imports an OpenAPI 3 document
 * (JSON or YAML) as a connector, stores it in the database and indexes its operations for retrieval.
 * Exit codes: 0 imported, 1 the spec or options need changes, 2 the file could not be read.
 */
export function registerConnectorsImportCommand(
  connectors: Command,
  deps: ConnectorsImportDeps = { openSql: openDefaultSql, stdout: process.stdout, stderr: process.stderr },
): void {
  connectors
    .command('import-openapi')
    .description(
      'Import an OpenAPI 3 document (JSON or YAML) as a connector whose actions are its operations.',
    )
    .argument('<spec>', 'path of the OpenAPI file')
    .requiredOption('--name <name>', 'connector id, e.g. petstore (lower-case letters, digits, _)')
    .option('--base-url <url>', 'API base URL (overrides the spec’s servers[0]; needed when it is relative)')
    .option('--json', 'print the result as JSON')
    .action(async (specPath: string, options: { name: string; baseUrl?: string; json?: boolean }) => {
      let text: string;
      try {
        text = await readFile(specPath, 'utf8');
      } catch (error) {
        writeTerminal(
          deps.stderr,
          `Cannot read ${specPath}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exitCode = 2;
        return;
      }
      const spec = parseSpecText(text);
      if (!spec.ok) {
        writeTerminal(deps.stderr, `${spec.error}\n`);
        process.exitCode = 2;
        return;
      }
      if (reservedNames().has(options.name)) {
        writeTerminal(deps.stderr, `"${options.name}" is a built-in connector id; choose another --name.\n`);
        process.exitCode = 1;
        return;
      }
      const imported = importOpenApi(spec.value, {
        name: options.name,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      });
      if (!imported.ok) {
        for (const issue of imported.error) {
          writeTerminal(
            deps.stderr,
            `${issue.path}: ${issue.message}${issue.hint ? `\n  fix: ${issue.hint}` : ''}\n`,
          );
        }
        process.exitCode = 1;
        return;
      }
      const { connector, warnings, baseUrl } = imported.value;
      const database = await deps.openSql();
      let indexed = { added: 0, updated: 0, removed: 0, unchanged: 0, chunks: 0 };
      try {
        await saveImportedConnector(database.sql, imported.value.stored, {
          principal: await ensureLocalOwner(database.sql, 'cli'),
        });
        indexed = await syncDocIndex(database.sql, importedDocSources(imported.value), createEmbedder(), {
          scope: openApiSourcePrefix(connector.id),
        });
      } finally {
        await database.close();
      }
      const actions = connector.actions.map((action) => ({
        id: `${connector.id}.${action.key}`,
        title: action.title,
        effect: action.effect,
      }));
      if (options.json) {
        writeTerminal(
          deps.stdout,
          `${JSON.stringify({ name: connector.id, baseUrl, actions, warnings }, null, 2)}\n`,
        );
        return;
      }
      writeTerminal(
        deps.stdout,
        `Imported "${connector.id}" from ${connector.title}: ${actions.length} actions, base URL ${baseUrl}.\n`,
      );
      for (const action of actions)
        writeTerminal(deps.stdout, `  ${action.id} (${action.effect})  ${action.title}\n`);
      for (const warning of warnings) writeTerminal(deps.stdout, `  warning: ${warning}\n`);
      writeTerminal(
        deps.stdout,
        `Indexed for retrieval: ${indexed.added} added, ${indexed.updated} updated, ${indexed.removed} removed. Restart the server to use it.\n`,
      );
    });
}
