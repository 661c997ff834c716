import { type Command, InvalidArgumentError } from 'commander';
import { loadAllConnectors } from '../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { createEmbedder, docsReady, searchDocs } from '../../retrieval/index.ts';
import { printErr, printOut } from '../terminal-text.ts';

function parseK(value: string): number {
  const k = Number(value);
  if (!Number.isInteger(k) || k < 1 || k > 50)
    throw new InvalidArgumentError('--k must be an integer from 1 to 50.');
  return k;
}

export function registerDocsCommand(program: Command): void {
  const docs = program.command('docs').description('Connector and core-node documentation.');
  docs
    .command('search')
    .description('Search the documentation of connectors, triggers and core nodes (syncs the index first).')
    .argument('<query>', 'what you want to do, in your own words')
    .option('--k <n>', 'how many documented ids to return', parseK, 5)
    .option('--json', 'print [{ id, kind, score, snippet }] as JSON')
    .action(async (query: string, options: { k: number; json?: boolean }) => {
      const log = (message: string) => printErr(`${message}\n`);
      const database = await openDatabase(parseDatabaseConfig(), { log: () => {} });
      try {
        const embedder = createEmbedder();
        const connectors = await loadAllConnectors(database.sql);
        const synced = await docsReady(
          database.sql,
          connectors,
          { info: () => {}, warn: (_fields, message) => log(message) },
          { embedder },
        );
        if (!synced.ok) log(`vmesh: the doc index could not be brought up to date: ${synced.error}`);
        const hits = await searchDocs(database.sql, query, { k: options.k, embedder, log });
        if (options.json) {
          printOut(`${JSON.stringify(hits, null, 2)}\n`);
          return;
        }
        if (!hits.length) printOut('No documentation matched.\n');
        hits.forEach((hit, i) => {
          printOut(`${i + 1}. ${hit.id} (${hit.kind}, score ${hit.score})\n   ${hit.snippet}\n`);
        });
      } finally {
        await database.close();
      }
    });
}
