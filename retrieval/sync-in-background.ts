import type { ConnectorDefinition } from '../connectors/index.ts';
import { loadImportedOpenApi } from '../connectors/index.ts';
import type { Sql } from '../db/index.ts';
import { createCatalog } from '../runtime/index.ts';
import { collectDocSources } from './collect-doc-sources.ts';
import { createEmbedder } from './create-embedder.ts';
import type { SyncCounts } from './doc-index.ts';
import { docIndexFor } from './doc-index-registry.ts';
import type { Embedder } from './embedder.ts';
import { importedDocSources } from './imported-doc-sources.ts';

/** What the sync logs through: the app's pino logger fits. */
export type DocSyncLog = {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
};

export type BackgroundSyncResult =
  | { ok: true; builtin: SyncCounts; imported: SyncCounts; ms: number }
  | { ok: false; error: string; ms: number };

/** Sources of the built-in docs (`core:`, `connector:`) and of imported OpenAPI connectors (`openapi:`). */
const BUILTIN_SCOPE = ['core:', 'connector:'];
const IMPORTED_SCOPE = 'openapi:';

/**
 * Brings the doc index in line with the code at app start, after the server listens: re-embeds only sources
 * whose content hash or embedding model changed, removes what is gone, and re-indexes the stored OpenAPI
 * imports. Never blocks (it starts on a later tick) and never rejects: a failure is logged once as a warning and
 * searches keep using whatever the index holds. `connectors` may include imported ones (loadAllConnectors):
 * those are indexed from their OpenAPI documents, not as built-ins.
 */
export function syncDocsInBackground(
  sql: Sql,
  connectors: readonly ConnectorDefinition[],
  log: DocSyncLog,
  options: { embedder?: Embedder } = {},
): Promise<BackgroundSyncResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<void>((resolve) => setImmediate(resolve))
    .then(async (): Promise<BackgroundSyncResult> => {
      const embedder = options.embedder ?? createEmbedder();
      const index = docIndexFor(sql, embedder, (message) => log.info({ embedder: embedder.model }, message));
      const { imported, failed } = await loadImportedOpenApi(sql);
      for (const broken of failed)
        log.warn(
          { connector: broken.name },
          'stored OpenAPI connector no longer imports; its docs are dropped',
        );
      const importedIds = new Set(imported.map((entry) => entry.connector.id));
      const builtins = connectors.filter((connector) => !importedIds.has(connector.id));
      const builtinSources = await collectDocSources({
        connectors: builtins,
        catalog: createCatalog(builtins),
      });
      const builtin = await index.sync(builtinSources, { scope: BUILTIN_SCOPE });
      const importedCounts = await index.sync(imported.flatMap(importedDocSources), {
        scope: IMPORTED_SCOPE,
      });
      const result = { ok: true as const, builtin, imported: importedCounts, ms: elapsed() };
      log.info({ docs: result }, 'doc index synced');
      return result;
    })
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      log.warn(
        { error: message },
        'doc index sync failed; doc search uses the index as it was (run `vmesh docs search` to retry)',
      );
      return { ok: false, error: message, ms: elapsed() };
    });
}

const syncs = new WeakMap<Sql, Promise<BackgroundSyncResult>>();

/**
 * The doc index of this database brought in line with the code, once per client and process: the first caller
 * starts the sync (an entry point at start-up, or the first search), every later caller waits for that same
 * sync, so no search of a fresh install answers from an empty or half-written index. A failed sync is tried
 * again by the next caller.
 */
export function docsReady(
  sql: Sql,
  connectors: readonly ConnectorDefinition[],
  log: DocSyncLog,
  options: { embedder?: Embedder } = {},
): Promise<BackgroundSyncResult> {
  const running = syncs.get(sql);
  if (running) return running;
  const sync = syncDocsInBackground(sql, connectors, log, options).then((result) => {
    if (!result.ok) syncs.delete(sql);
    return result;
  });
  syncs.set(sql, sync);
  return sync;
}
