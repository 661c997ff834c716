import type { ConnectorDefinition } from '../connectors/index.ts';
import type { Sql } from '../db/index.ts';
import type { CatalogLike } from './catalog-doc-sources.ts';
import { collectDocSources } from './collect-doc-sources.ts';
import { createEmbedder } from './create-embedder.ts';
import type { DocSearchHit, DocSearchOptions, SyncCounts } from './doc-index.ts';
import { docIndexFor } from './doc-index-registry.ts';
import type { DocSource } from './doc-source.ts';
import type { Embedder } from './embedder.ts';
import type { QueryRunner } from './query-runner.ts';

export { type CatalogLike, catalogDocSources } from './catalog-doc-sources.ts';
export { collectDocSources } from './collect-doc-sources.ts';
export { connectorDocSources, definitionSources, docMarkdownSources } from './connector-doc-sources.ts';
export { CORE_NODES_DOC_PATH, coreDocSources } from './core-doc-sources.ts';
export { createEmbedder } from './create-embedder.ts';
export {
  createDocIndex,
  type DocIndex,
  type DocSearchHit,
  type DocSearchOptions,
  type SyncCounts,
  type VectorMode,
} from './doc-index.ts';
export { docIndexFor } from './doc-index-registry.ts';
export { DocKind, DocSource } from './doc-source.ts';
export type { Embedder } from './embedder.ts';
export { createHashingEmbedder } from './hashing-embedder.ts';
export { importedDocSources } from './imported-doc-sources.ts';
export {
  createKnowledgeBaseStore,
  DEFAULT_HNSW_TUNING,
  type HnswTuning,
  type KbHit,
  type KbVectorScan,
  type KnowledgeBaseStore,
  PGVECTOR_DEFAULT_TUNING,
} from './knowledge-base.ts';
export { createKnowledgeBase } from './knowledge-base-port.ts';
export { createOpenAiEmbedder, OPENAI_EMBEDDING_MODEL } from './openai-embedder.ts';
export { isThirdPartySource, openApiDocSources, openApiSourcePrefix } from './openapi-doc-sources.ts';
export { pgliteQueryRunner, type QueryRunner, toQueryRunner } from './query-runner.ts';
export { describeParameters } from './schema-doc.ts';
export {
  type BackgroundSyncResult,
  type DocSyncLog,
  docsReady,
  syncDocsInBackground,
} from './sync-in-background.ts';

/** Re-indexes what changed (content hash or embedding model) and removes sources no longer given. */
export function syncDocIndex(
  db: Sql | QueryRunner,
  sources: DocSource[],
  embedder: Embedder = createEmbedder(),
  options: { scope?: string | string[]; log?: (message: string) => void } = {},
): Promise<SyncCounts> {
  return docIndexFor(db, embedder, options.log).sync(sources, { scope: options.scope });
}

/** Prefixes of the sources collectDocSources builds; other sources (e.g. `openapi:`) are left alone by syncBuiltinDocs. */
export const BUILTIN_SOURCE_PREFIXES = ['core:', 'connector:'];

/**
 * Syncs the built-in docs (core nodes and triggers, the given connectors) at start: re-embeds only what changed,
 * removes built-in sources that are gone, and leaves other sources (imported OpenAPI connectors) alone.
 */
export async function syncBuiltinDocs(
  db: Sql | QueryRunner,
  connectors: readonly ConnectorDefinition[],
  embedder: Embedder = createEmbedder(),
  options: { catalog?: CatalogLike; log?: (message: string) => void } = {},
): Promise<SyncCounts> {
  const sources = await collectDocSources({ connectors, catalog: options.catalog });
  return syncDocIndex(db, sources, embedder, { scope: BUILTIN_SOURCE_PREFIXES, log: options.log });
}

/**
 * Hybrid search over the indexed docs (vector + full text, reciprocal rank fusion), one hit per documented id:
 * `[{ id: 'slack.postMessage', kind: 'action', score, snippet }]`. Use the same embedder the index was synced with.
 */
export function searchDocs(
  db: Sql | QueryRunner,
  query: string,
  options: DocSearchOptions & { embedder?: Embedder; log?: (message: string) => void } = {},
): Promise<DocSearchHit[]> {
  const { embedder = createEmbedder(), log, ...searchOptions } = options;
  return docIndexFor(db, embedder, log).search(query, searchOptions);
}
