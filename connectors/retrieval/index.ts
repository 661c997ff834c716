import type { Sql } from '../../db/index.ts';
import type { ConnectorDefinition } from '../sdk/index.ts';
import { type CatalogLike, catalogDocSources } from './catalog-doc-sources.ts';
import { connectorDocSources } from './connector-doc-sources.ts';
import { coreDocSources } from './core-doc-sources.ts';
import { createEmbedder } from './create-embedder.ts';
import {
  createDocIndex,
  type DocIndex,
  type DocSearchHit,
  type DocSearchOptions,
  type SyncCounts,
} from './doc-index.ts';
import type { DocSource } from './doc-source.ts';
import type { Embedder } from './embedder.ts';
import type { QueryRunner } from './query-runner.ts';

export { type CatalogLike, catalogDocSources } from './catalog-doc-sources.ts';
export { connectorDocSources, definitionSources, docMarkdownSources } from './connector-doc-sources.ts';
export { CORE_NODES_DOC_PATH, CORE_TRIGGER_TYPES, coreDocSources } from './core-doc-sources.ts';
export { createEmbedder } from './create-embedder.ts';
export {
  createDocIndex,
  type DocIndex,
  type DocSearchHit,
  type DocSearchOptions,
  type SyncCounts,
  type VectorMode,
} from './doc-index.ts';
export { DocKind, DocSource } from './doc-source.ts';
export type { Embedder } from './embedder.ts';
export { createHashingEmbedder } from './hashing-embedder.ts';
export { createOpenAiEmbedder, OPENAI_EMBEDDING_MODEL } from './openai-embedder.ts';
export { type OpenApiOperationDoc, openApiDocSources, openApiSourcePrefix } from './openapi-doc-sources.ts';
export { pgliteQueryRunner, type QueryRunner, toQueryRunner } from './query-runner.ts';
export { describeParameters } from './schema-doc.ts';

/** Every built-in doc source: the connectors' definitions and doc.md files, core nodes and core triggers. */
export async function collectDocSources(input: {
  connectors: readonly ConnectorDefinition[];
  /** runtime/workflow's createCatalog(connectors): core nodes' descriptions and `with` parameters. */
  catalog?: CatalogLike;
  /** More sources, e.g. imported OpenAPI connectors (openApiDocSources). */
  extra?: DocSource[];
}): Promise<DocSource[]> {
  return [
    ...(await coreDocSources()),
    ...(input.catalog ? catalogDocSources(input.catalog) : []),
    ...(await connectorDocSources(input.connectors)),
    ...(input.extra ?? []),
  ];
}

const indexes = new WeakMap<object, Map<string, DocIndex>>();

/** The DocIndex for this client and embedder, created once (it caches the vector matrix in the exact-cosine mode). */
export function docIndexFor(
  db: Sql | QueryRunner,
  embedder: Embedder,
  log?: (message: string) => void,
): DocIndex {
  let byModel = indexes.get(db);
  if (!byModel) {
    byModel = new Map();
    indexes.set(db, byModel);
  }
  let index = byModel.get(embedder.model);
  if (!index) {
    index = createDocIndex({ db, embedder, log });
    byModel.set(embedder.model, index);
  }
  return index;
}

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
