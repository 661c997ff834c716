import pgvector from 'pgvector';
import type { Sql } from '../db/index.ts';
import type { VectorMode } from './doc-index.ts';
import { toWebsearchOr } from './doc-index.ts';
import type { Embedder } from './embedder.ts';
import { chunkDocument } from './kb-chunks.ts';
import { createLexemeCache } from './lexeme-cache.ts';
import { asQueryRunner, type QueryRunner } from './query-runner.ts';
import { CANDIDATES, DEFAULT_FUSION, fuseRankedLists, type RankedHit } from './rank-fusion.ts';
import { synonymsOf } from './text-features.ts';
import { chooseFilterLexemes, orTsquery, TEXT_SCAN_CAP } from './text-query.ts';
import {
  buildVectorMatrix,
  float32FromBytes,
  float32Hex,
  topByDotProduct,
  type VectorMatrix,
} from './vector-matrix.ts';

export type KbDocument = { id: string; text: string };
export type KbHit = { id: string; text: string; score: number };
/** How the vector list of one search is ranked: exactly (all of the collection's vectors), or by pgvector HNSW. */
export type KbVectorScan = 'exact' | 'hnsw';

/**
 * pgvector HNSW search settings. HNSW's greedy walk loses true neighbours among near-identical chunks and, with
 * a filter (one collection of one workspace), returns fewer rows than asked once ef_search candidates are used
 * up. Iterative index scans (pgvector ≥ 0.8) keep walking until enough rows pass the filter; a candidate set
 * larger than the list, re-ordered by exact distance, puts the true nearest first (bench:retrieval, kb section).
 */
export type HnswTuning = { efSearch: number; iterative: boolean; candidates: number };
// bench:retrieval at 100k near-duplicate chunks, recall@10 against the exact scan: pgvector's defaults 0.574, the
// docs index's ef_search 200 (40 rows) 0.882, this 0.96 at p50 19 ms instead of 10 ms for the vector query.
export const DEFAULT_HNSW_TUNING: HnswTuning = { efSearch: 400, iterative: true, candidates: 200 };
/** pgvector's own defaults (no candidate set beyond the list asked for), for comparison in the bench. */
export const PGVECTOR_DEFAULT_TUNING: HnswTuning = { efSearch: 40, iterative: false, candidates: 0 };

/** With pgvector, a collection whose vectors take at most this many bytes is still ranked exactly (see docs). */
const EXACT_SCAN_MAX_BYTES = 32 * 1024 * 1024;
const INSERT_BATCH = 400;

export type KnowledgeBaseStore = {
  readonly embedder: Embedder;
  mode(): Promise<VectorMode>;
  /** Adds or replaces documents of a collection (one transaction); `replaced` counts ids that existed. */
  upsert(
    workspaceId: string,
    collection: string,
    docs: readonly KbDocument[],
  ): Promise<{ chunks: number; replaced: number }>;
  remove(workspaceId: string, collection: string, id: string): Promise<boolean>;
  search(
    workspaceId: string,
    collection: string,
    query: string,
    options?: { k?: number; vectorScan?: KbVectorScan },
  ): Promise<KbHit[]>;
  /** The vector list alone (chunk ids, best first), for the bench's recall of HNSW against the exact scan. */
  vectorCandidates(
    workspaceId: string,
    collection: string,
    vector: number[],
    limit: number,
    scan: KbVectorScan,
    tuning?: HnswTuning,
  ): Promise<number[]>;
  /** Which scan a search of this collection uses by default right now. */
  vectorScan(workspaceId: string, collection: string): Promise<KbVectorScan>;
};

type CollectionStats = {
  version: string;
  count: number;
  lexemeDf: Map<string, number>;
  /** Every vector of the collection, for the exact scan; loaded when that scan is first needed. */
  matrix?: Promise<VectorMatrix<'kb'>>;
};

let loggedExactMode = false;

/**
 * The knowledge base over `kb_chunks` (migration 7300): documents per workspace and collection, chunked,
 * embedded and full-text indexed, searched with the docs index's hybrid ranking (rank-fusion.ts, text-query.ts,
 * vector-matrix.ts). With pgvector: an HNSW cosine index per dimension; without: exact cosine in process.
 */
export function createKnowledgeBaseStore(options: {
  db: Sql | QueryRunner;
  embedder: Embedder;
  log?: (message: string) => void;
  hnsw?: HnswTuning;
  /** With pgvector, rank a collection exactly while its vectors take at most this many bytes (0: always HNSW). */
  exactScanMaxBytes?: number;
}): KnowledgeBaseStore {
  const db = asQueryRunner(options.db);
  const { embedder } = options;
  const dims = embedder.dims;
  const log = options.log ?? (() => {});
  const hnsw = options.hnsw ?? DEFAULT_HNSW_TUNING;
  const exactScanMaxBytes = options.exactScanMaxBytes ?? EXACT_SCAN_MAX_BYTES;
  const lexemes = createLexemeCache(db);
  const stats = new Map<string, { version: string; promise: Promise<CollectionStats> }>();
  let modePromise: Promise<VectorMode> | undefined;

  async function detectMode(): Promise<VectorMode> {
    try {
      await db.query('create extension if not exists vector');
    } catch (error) {
      if (!loggedExactMode) {
        loggedExactMode = true;
        const reason = error instanceof Error ? error.message : String(error);
        log(`pgvector is not available (${reason}); kb.search uses exact cosine in process instead.`);
      }
      return 'exact';
    }
    await db.query('alter table kb_chunks add column if not exists embedding_vec vector');
    await db.query(
      `create index if not exists kb_chunks_embedding_hnsw_${dims} on kb_chunks ` +
        `using hnsw ((embedding_vec::vector(${dims})) vector_cosine_ops) where dims = ${dims}`,
    );
    // Rows written before the server had pgvector: their vectors come from the float32 bytes.
    for (;;) {
      const rows = await db.query<{ id: string | number; raw: Uint8Array }>(
        'select id, embedding_f32 as raw from kb_chunks where embedding_vec is null and dims = $1 limit 500',
        [dims],
      );
      if (!rows.length) break;
      await db.query(
        'update kb_chunks set embedding_vec = u.v::vector from unnest($1::bigint[], $2::text[]) as u(i, v) where id = u.i',
        [
          rows.map((row) => String(row.id)),
          rows.map((row) => pgvector.toSql([...float32FromBytes(row.raw, dims)])),
        ],
      );
    }
    return 'pgvector';
  }

  function mode(): Promise<VectorMode> {
    modePromise ??= detectMode().catch((error: unknown) => {
      modePromise = undefined;
      throw error;
    });
    return modePromise;
  }

  async function upsert(workspaceId: string, collection: string, docs: readonly KbDocument[]) {
    const rows: { doc: string; index: number; content: string }[] = [];
    for (const doc of docs) {
      (await chunkDocument(doc.text)).forEach((content, index) => {
        rows.push({ doc: doc.id, index, content });
      });
    }
    const vectors = rows.length
      ? await embedder.embedDocuments(rows.map((row) => `${row.doc}\n${row.content}`))
      : [];
    const withVec = (await mode()) === 'pgvector';
    const ids = [...new Set(docs.map((doc) => doc.id))];
    return db.transaction(async (tx) => {
      await tx.query(
        `insert into kb_collections (workspace_id, name) values ($1, $2)
         on conflict (workspace_id, name) do update set version = kb_collections.version + 1`,
        [workspaceId, collection],
      );
      const gone = await tx.query<{ n: number }>(
        `with gone as (delete from kb_chunks where workspace_id = $1 and collection = $2 and doc_id = any($3::text[])
           returning doc_id) select count(distinct doc_id)::int as n from gone`,
        [workspaceId, collection, ids],
      );
      for (let start = 0; start < rows.length; start += INSERT_BATCH) {
        const batch = rows.slice(start, start + INSERT_BATCH);
        const batchVectors = batch.map((_, offset) => vectors[start + offset] ?? []);
        await tx.query(
          `insert into kb_chunks
             (workspace_id, collection, doc_id, chunk_index, content, model, dims, embedding_f32${withVec ? ', embedding_vec' : ''})
           select $1, $2, d, i, c, $3, $4, decode(f, 'hex')${withVec ? ', v::vector' : ''}
           from unnest($5::text[], $6::int[], $7::text[], $8::text[], $9::text[]) as u(d, i, c, f, v)`,
          [
            workspaceId,
            collection,
            embedder.model,
            dims,
            batch.map((row) => row.doc),
            batch.map((row) => row.index),
            batch.map((row) => row.content),
            batchVectors.map((vector) => float32Hex(vector, dims)),
            batchVectors.map((vector) => (withVec ? pgvector.toSql(vector) : null)),
          ],
        );
      }
      return { chunks: rows.length, replaced: gone[0]?.n ?? 0 };
    });
  }

  async function remove(workspaceId: string, collection: string, id: string): Promise<boolean> {
    return db.transaction(async (tx) => {
      const gone = await tx.query<{ n: number }>(
        `with gone as (delete from kb_chunks where workspace_id = $1 and collection = $2 and doc_id = $3 returning 1)
         select count(*)::int as n from gone`,
        [workspaceId, collection, id],
      );
      if (!gone[0]?.n) return false;
      await tx.query(
        'update kb_collections set version = version + 1 where workspace_id = $1 and name = $2',
        [workspaceId, collection],
      );
      return true;
    });
  }

  async function collectionVersion(workspaceId: string, collection: string): Promise<string | undefined> {
    const [row] = await db.query<{ v: string }>(
      'select version::text as v from kb_collections where workspace_id = $1 and name = $2',
      [workspaceId, collection],
    );
    return row?.v;
  }

  async function loadStats(
    workspaceId: string,
    collection: string,
    version: string,
  ): Promise<CollectionStats> {
    const [counted, lexemeRows] = await Promise.all([
      db.query<{ n: number }>(
        'select count(*)::int as n from kb_chunks where workspace_id = $1 and collection = $2 and model = $3',
        [workspaceId, collection, embedder.model],
      ),
      db.query<{ word: string; ndoc: number }>(
        `select word, ndoc from ts_stat(format(
           'select tsv from kb_chunks where workspace_id = %L and collection = %L and model = %L', $1::text, $2::text, $3::text))`,
        [workspaceId, collection, embedder.model],
      ),
    ]);
    return {
      version,
      count: Number(counted[0]?.n ?? 0),
      lexemeDf: new Map(lexemeRows.map((row) => [row.word, Number(row.ndoc)])),
    };
  }

  async function statsFor(workspaceId: string, collection: string): Promise<CollectionStats | undefined> {
    const version = await collectionVersion(workspaceId, collection);
    if (version === undefined) return undefined;
    const key = JSON.stringify([workspaceId, collection]);
    const cached = stats.get(key);
    if (cached?.version === version) return cached.promise;
    const promise = loadStats(workspaceId, collection, version);
    stats.set(key, { version, promise });
    promise.catch(() => {
      if (stats.get(key)?.promise === promise) stats.delete(key);
    });
    return promise;
  }

  function loadMatrix(workspaceId: string, collection: string, entry: CollectionStats) {
    entry.matrix ??= db
      .query<{ id: string | number; did: string; raw: Uint8Array }>(
        `select id, doc_id as did, embedding_f32 as raw from kb_chunks
         where workspace_id = $1 and collection = $2 and model = $3 order by id`,
        [workspaceId, collection, embedder.model],
      )
      .then((rows) =>
        buildVectorMatrix(
          rows.map((row) => ({
            id: Number(row.id),
            docId: row.did,
            kind: 'kb' as const,
            embedding: float32FromBytes(row.raw, dims),
          })),
          dims,
          entry.version,
        ),
      );
    entry.matrix.catch(() => {
      entry.matrix = undefined;
    });
    return entry.matrix;
  }

  async function defaultScan(entry: CollectionStats): Promise<KbVectorScan> {
    if ((await mode()) === 'exact') return 'exact';
    return entry.count * dims * 4 <= exactScanMaxBytes ? 'exact' : 'hnsw';
  }

  async function hnswCandidates(
    workspaceId: string,
    collection: string,
    vector: number[],
    limit: number,
    tuning: HnswTuning,
  ): Promise<RankedHit[]> {
    const take = Math.max(limit, tuning.candidates);
    const rows = await db.transaction(async (tx) => {
      await tx.query(`select set_config('hnsw.ef_search', $1, true)`, [
        String(Math.max(tuning.efSearch, take)),
      ]);
      if (tuning.iterative) await tx.query(`select set_config('hnsw.iterative_scan', 'relaxed_order', true)`);
      // Relaxed order: the index may return rows slightly out of order; the outer query orders them exactly.
      return tx.query<{ id: string | number; did: string }>(
        `with nearest as materialized (
           select id, doc_id, embedding_vec::vector(${dims}) <=> $1::vector(${dims}) as distance from kb_chunks
           where dims = ${dims} and workspace_id = $2 and collection = $3 and model = $4
           order by embedding_vec::vector(${dims}) <=> $1::vector(${dims})
           limit ${take}
         )
         select id, doc_id as did from nearest order by distance, id limit ${limit}`,
        [pgvector.toSql(vector), workspaceId, collection, embedder.model],
      );
    });
    return rows.map((row) => ({ id: Number(row.id), docId: row.did }));
  }

  async function vectorList(
    workspaceId: string,
    collection: string,
    entry: CollectionStats,
    vector: number[],
    limit: number,
    scan: KbVectorScan,
    tuning: HnswTuning,
  ): Promise<RankedHit[]> {
    if (scan === 'hnsw') {
      if ((await mode()) !== 'pgvector')
        throw new Error('kb: the HNSW scan needs pgvector, which this server does not have.');
      return hnswCandidates(workspaceId, collection, vector, limit, tuning);
    }
    return topByDotProduct(await loadMatrix(workspaceId, collection, entry), vector, limit, null);
  }

  async function textList(
    workspaceId: string,
    collection: string,
    entry: CollectionStats,
    query: string,
  ): Promise<RankedHit[]> {
    const orQuery = toWebsearchOr(query, synonymsOf);
    const words = orQuery ? orQuery.split(' or ') : [];
    const queryLexemes = lexemes.cached(words) ?? (await lexemes.lexemesOf(words));
    const filter = chooseFilterLexemes(queryLexemes, (lexeme) => entry.lexemeDf.get(lexeme) ?? 0);
    if (!filter.length) return [];
    const rows = await db.query<{ id: string | number; did: string }>(
      `with hits as materialized (
         select id, doc_id, tsv from kb_chunks
         where workspace_id = $3 and collection = $4 and model = $5 and tsv @@ $1::tsquery
         limit ${TEXT_SCAN_CAP}
       )
       select id, doc_id as did from hits, websearch_to_tsquery('english', $2) as q
       order by ts_rank(tsv, q, 1) desc, id
       limit ${CANDIDATES}`,
      [orTsquery(filter), orQuery, workspaceId, collection, embedder.model],
    );
    return rows.map((row) => ({ id: Number(row.id), docId: row.did }));
  }

  async function search(
    workspaceId: string,
    collection: string,
    query: string,
    searchOptions: { k?: number; vectorScan?: KbVectorScan } = {},
  ): Promise<KbHit[]> {
    const k = Math.max(1, Math.min(50, Math.trunc(searchOptions.k ?? 5)));
    if (!query.trim()) return [];
    const entry = await statsFor(workspaceId, collection);
    if (!entry || entry.count === 0) return [];
    const scan = searchOptions.vectorScan ?? (await defaultScan(entry));
    const vector = await embedder.embedQuery(query);
    const [byVector, byText] = await Promise.all([
      vectorList(workspaceId, collection, entry, vector, CANDIDATES, scan, hnsw),
      textList(workspaceId, collection, entry, query),
    ]);
    const ranked = fuseRankedLists(
      [
        { hits: byVector, weight: DEFAULT_FUSION.vector },
        { hits: byText, weight: DEFAULT_FUSION.text },
      ],
      DEFAULT_FUSION.k,
    ).slice(0, k);
    if (!ranked.length) return [];
    const contents = await db.query<{ id: string | number; content: string }>(
      'select id, content from kb_chunks where id = any($1::bigint[])',
      [ranked.map((entry) => String(entry.bestChunk))],
    );
    const byId = new Map(contents.map((row) => [Number(row.id), row.content]));
    return ranked.map((entry) => ({
      id: entry.docId,
      text: byId.get(entry.bestChunk) ?? '',
      score: Math.round(entry.score * 10_000) / 10_000,
    }));
  }

  return {
    embedder,
    mode,
    upsert,
    remove,
    search,
    async vectorCandidates(workspaceId, collection, vector, limit, scan, tuning = hnsw) {
      const entry = await statsFor(workspaceId, collection);
      if (!entry) return [];
      const hits = await vectorList(workspaceId, collection, entry, vector, limit, scan, tuning);
      return hits.map((hit) => hit.id);
    },
    async vectorScan(workspaceId, collection) {
      const entry = await statsFor(workspaceId, collection);
      return entry ? defaultScan(entry) : (await mode()) === 'pgvector' ? 'hnsw' : 'exact';
    },
  };
}
