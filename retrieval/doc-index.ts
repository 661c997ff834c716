import { createHash } from 'node:crypto';
import type { Sql } from '../db/index.ts';
import { CHUNKER_VERSION, chunkSource, embeddingText } from './chunk-source.ts';
import type { DocKind, DocSource } from './doc-source.ts';
import type { Embedder } from './embedder.ts';
import { isHashingEmbedder } from './hashing-embedder.ts';
import { createLexemeCache } from './lexeme-cache.ts';
import { isThirdPartySource } from './openapi-doc-sources.ts';
import { asQueryRunner, type QueryRunner } from './query-runner.ts';
import { CANDIDATES, DEFAULT_FUSION, fuseRankedLists } from './rank-fusion.ts';
import { synonymsOf, synonymWords } from './text-features.ts';
import { chooseFilterLexemes, orTsquery, TEXT_SCAN_CAP } from './text-query.ts';
import {
  buildVectorMatrix,
  float32FromBytes,
  float32Hex,
  type RankedChunk,
  topByDotProduct,
  type VectorMatrix,
} from './vector-matrix.ts';

export type SyncCounts = {
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  chunks: number;
};

export type DocSearchHit = {
  /** The documented id: `slack.postMessage`, `core.if`, `github.issueOpened`, `schedule`, `slack`. */
  id: string;
  kind: DocKind;
  /** Reciprocal-rank-fusion score (higher is better); comparable within one search only. */
  score: number;
  snippet: string;
  /** Written by a third party (an imported OpenAPI document), not by us: show it to a model as untrusted data. */
  thirdParty: boolean;
};

export type DocSearchOptions = {
  /** How many documented ids to return (default 5). */
  k?: number;
  /** Only these kinds (default: all). */
  kinds?: DocKind[];
};

export type VectorMode = 'pgvector' | 'exact';
/** How the vector list is ranked right now: exactly in process, or by pgvector's (approximate) HNSW index. */
export type VectorScan = 'in-process' | 'hnsw';

export type DocIndex = {
  readonly embedder: Embedder;
  /** `pgvector` when `CREATE EXTENSION vector` succeeded, else `exact` (cosine over real[] in process). */
  mode(): Promise<VectorMode>;
  /** `in-process` without pgvector, and with it while the embeddings fit in `exactScanMaxBytes`; else `hnsw`. */
  vectorScan(): Promise<VectorScan>;
  /**
   * Brings the index in line with `sources`: embeds sources that are new or whose content hash or embedding
   * model changed, deletes sources no longer given (only those whose sourceId starts with `scope` or one of
   * the `scope` prefixes, when set; default: all).
   */
  sync(sources: DocSource[], options?: { scope?: string | string[] }): Promise<SyncCounts>;
  /** Adds or replaces these sources without removing any others (e.g. one imported OpenAPI spec). */
  upsert(sources: DocSource[]): Promise<SyncCounts>;
  /** Removes every source whose sourceId starts with `prefix`; returns how many sources went. */
  remove(prefix: string): Promise<number>;
  search(query: string, options?: DocSearchOptions): Promise<DocSearchHit[]>;
  /** The two ranked lists before fusion, as documented ids (best chunk per id, in rank order): for diagnosis. */
  candidates(
    query: string,
    options?: Pick<DocSearchOptions, 'kinds'>,
  ): Promise<{ vector: string[]; text: string[] }>;
};

/** pgvector HNSW search breadth for the vector query (see vectorCandidates). */
const HNSW_EF_SEARCH = 200;
/**
 * With pgvector, embeddings up to this size are still ranked exactly in process: HNSW's approximate walk can miss
 * the right docs among many near-identical chunks (bench:retrieval compares `pgvector` with `pgvectorHnsw`), and
 * a corpus this small costs little memory and scan time (512 dims: 16k chunks).
 */
const EXACT_SCAN_MAX_BYTES = 32 * 1024 * 1024;
/**
 * Connector overviews (credentials, rate limits) match many requests loosely; people mostly look for an action,
 * trigger or core node, so overview hits count for less and do not crowd those out.
 */
const KIND_PRIOR: Record<DocKind, number> = { action: 1, trigger: 1, core: 1, connector: 0.6 };
const SNIPPET_CHARS = 280;
const INSERT_BATCH = 400;
/** Written or removed sources/chunks from which a sync refreshes the planner statistics itself. */
const ANALYZE_AFTER = 200;

let loggedExactMode = false;

export function sourceHash(source: DocSource): string {
  return createHash('sha256')
    .update(JSON.stringify([CHUNKER_VERSION, source.docId, source.kind, source.title, source.text]))
    .digest('hex');
}

function vectorLiteral(vector: number[]): string {
  return `{${vector.map((value) => (Number.isFinite(value) ? value.toPrecision(7) : '0')).join(',')}}`;
}

function toSnippet(content: string): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  return flat.length <= SNIPPET_CHARS ? flat : `${flat.slice(0, SNIPPET_CHARS - 1).trimEnd()}…`;
}

/** Splits "send a slack message" into `send or a or slack or message` so full-text search ranks partial matches. */
export function toWebsearchOr(query: string, expand: (word: string) => string[] = (word) => [word]): string {
  const words = new Set((query.match(/[\p{L}\p{N}]+/gu) ?? []).flatMap((word) => expand(word)));
  return [...words].filter((word) => word.toLowerCase() !== 'or').join(' or ');
}

type IndexStats = {
  version: string;
  /** Postgres lexeme → how many chunks contain it (ts_stat), for choosing the full-text filter. */
  lexemeDf: Map<string, number>;
  /**
   * The offline embedder's term weights (inverse document frequency); absent for other embedders. A word no
   * indexed chunk contains gets weight 0: its word features could only collide with unrelated ones in the
   * hashed space (its character n-grams still count, so misspellings still match).
   */
  idf?: { weights: Map<string, number> };
  /** Every embedding, for the in-process cosine scan (see VectorScan); absent when HNSW ranks. */
  matrix?: VectorMatrix;
  /** Chunk id → content, for snippets. */
  contents: Map<number, string>;
  /** Chunk ids from third-party sources (see isThirdPartySource). */
  thirdParty: Set<number>;
};

/**
 * The retrieval store over `doc_chunks`. Works on the app's porsager client and on PGlite (see QueryRunner).
 * With pgvector: HNSW cosine index over `embedding_vec`. Without: exact cosine over the `real[]` embeddings,
 * computed in process from a matrix loaded once and reloaded when the table changes.
 */
export function createDocIndex(options: {
  db: Sql | QueryRunner;
  embedder: Embedder;
  log?: (message: string) => void;
  /** Reciprocal-rank-fusion weights of the two ranked lists and its k (defaults tuned on the train split). */
  fusion?: { vector?: number; text?: number; k?: number };
  /** With pgvector, rank in process while the embeddings take at most this many bytes (0: always HNSW). */
  exactScanMaxBytes?: number;
}): DocIndex {
  const fusion = {
    vector: options.fusion?.vector ?? DEFAULT_FUSION.vector,
    text: options.fusion?.text ?? DEFAULT_FUSION.text,
    k: options.fusion?.k ?? DEFAULT_FUSION.k,
  };
  const db = asQueryRunner(options.db);
  const { embedder } = options;
  const log = options.log ?? (() => {});
  const dims = embedder.dims;
  if (!Number.isInteger(dims) || dims <= 0)
    throw new Error(`Embedder ${embedder.model} has invalid dims ${dims}.`);
  let modePromise: Promise<VectorMode> | undefined;
  let statsPromise: { version: string; promise: Promise<IndexStats> } | undefined;
  const lexemes = createLexemeCache(db);

  async function detectMode(): Promise<VectorMode> {
    try {
      await db.query('create extension if not exists vector');
    } catch (error) {
      if (!loggedExactMode) {
        loggedExactMode = true;
        const reason = error instanceof Error ? error.message : String(error);
        log(`pgvector is not available (${reason}); doc search uses exact cosine over real[] instead.`);
      }
      return 'exact';
    }
    await db.query('alter table doc_chunks add column if not exists embedding_vec vector');
    // HNSW needs a fixed dimension: one partial expression index per embedding dimension in use.
    await db.query(
      `create index if not exists doc_chunks_embedding_hnsw_${dims} on doc_chunks ` +
        `using hnsw ((embedding_vec::vector(${dims})) vector_cosine_ops) where dims = ${dims}`,
    );
    await db.query(
      'update doc_chunks set embedding_vec = embedding::vector where embedding_vec is null and model = $1',
      [embedder.model],
    );
    return 'pgvector';
  }

  function mode(): Promise<VectorMode> {
    modePromise ??= detectMode().catch((error: unknown) => {
      modePromise = undefined;
      throw error;
    });
    return modePromise;
  }

  async function write(sources: DocSource[], replace: Set<string>): Promise<number> {
    const rows: { source: DocSource; hash: string; index: number; content: string }[] = [];
    for (const source of sources) {
      const hash = sourceHash(source);
      const chunks = await chunkSource(source);
      chunks.forEach((content, index) => {
        rows.push({ source, hash, index, content });
      });
    }
    const vectors = rows.length
      ? await embedder.embedDocuments(rows.map((row) => embeddingText(row.source, row.content)))
      : [];
    const currentMode = await mode();
    // Two processes syncing a fresh index at once (the server and a CLI command) both write the same sources:
    // one at a time, each replacing whatever the other wrote for them.
    const written = [...new Set([...replace, ...sources.map((source) => source.sourceId)])];
    await db.transaction(async (tx) => {
      await tx.query("select pg_advisory_xact_lock(hashtext('vmesh:doc_chunks'))");
      if (written.length)
        await tx.query('delete from doc_chunks where source_id = any($1::text[])', [written]);
      for (let start = 0; start < rows.length; start += INSERT_BATCH) {
        const batch = rows.slice(start, start + INSERT_BATCH);
        await tx.query(
          `insert into doc_chunks
             (source_id, chunk_index, doc_id, kind, title, content, content_hash, model, dims, embedding, embedding_f32)
           select s, i, d, k, t, c, h, $8, $9, e::real[], decode(f, 'hex')
           from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $10::text[],
             $11::text[]) as u(s, i, d, k, t, c, h, e, f)`,
          [
            batch.map((row) => row.source.sourceId),
            batch.map((row) => row.index),
            batch.map((row) => row.source.docId),
            batch.map((row) => row.source.kind),
            batch.map((row) => row.source.title),
            batch.map((row) => row.content),
            batch.map((row) => row.hash),
            embedder.model,
            dims,
            batch.map((_, offset) => vectorLiteral(vectors[start + offset] ?? [])),
            batch.map((_, offset) => float32Hex(vectors[start + offset] ?? [], dims)),
          ],
        );
      }
      if (currentMode === 'pgvector') {
        await tx.query(
          'update doc_chunks set embedding_vec = embedding::vector where embedding_vec is null and model = $1',
          [embedder.model],
        );
      }
    });
    // After a bulk write: fresh planner statistics (without them a just-filled table of 10k chunks was scanned
    // sequentially, ~40 ms a search, until autovacuum ran) and set hint bits, so the next searches are fast.
    if (rows.length + replace.size >= ANALYZE_AFTER) {
      await db.query('vacuum (analyze) doc_chunks').catch(() => db.query('analyze doc_chunks'));
    }
    return rows.length;
  }

  async function existingSources(): Promise<Map<string, { hash: string; model: string }>> {
    const rows = await db.query<{ sid: string; hash: string; model: string }>(
      'select source_id as sid, content_hash as hash, model from doc_chunks where chunk_index = 0',
    );
    return new Map(rows.map((row) => [row.sid, { hash: row.hash, model: row.model }]));
  }

  async function apply(sources: DocSource[], scope: string[] | null): Promise<SyncCounts> {
    const seen = new Set<string>();
    for (const source of sources) {
      if (seen.has(source.sourceId))
        throw new Error(`Duplicate doc sourceId ${source.sourceId}: sourceIds must be unique.`);
      seen.add(source.sourceId);
    }
    await mode();
    const existing = await existingSources();
    const counts: SyncCounts = { added: 0, updated: 0, removed: 0, unchanged: 0, chunks: 0 };
    const changed: DocSource[] = [];
    const replace = new Set<string>();
    for (const source of sources) {
      const before = existing.get(source.sourceId);
      if (before && before.hash === sourceHash(source) && before.model === embedder.model) {
        counts.unchanged++;
        continue;
      }
      if (before) {
        counts.updated++;
        replace.add(source.sourceId);
      } else {
        counts.added++;
      }
      changed.push(source);
    }
    if (scope !== null) {
      for (const sourceId of existing.keys()) {
        if (!seen.has(sourceId) && scope.some((prefix) => sourceId.startsWith(prefix))) {
          counts.removed++;
          replace.add(sourceId);
        }
      }
    }
    if (changed.length || replace.size) counts.chunks = await write(changed, replace);
    return counts;
  }

  /** doc_chunks_version: bumped by a trigger on every write, so one primary-key read tells if caches are stale. */
  async function indexVersion(): Promise<string> {
    const [row] = await db.query<{ v: string }>('select version::text as v from doc_chunks_version');
    return row?.v ?? '0';
  }

  const exactScanMaxBytes = options.exactScanMaxBytes ?? EXACT_SCAN_MAX_BYTES;

  async function inProcessScan(): Promise<boolean> {
    if ((await mode()) === 'exact') return true;
    const [row] = await db.query<{ n: number }>(
      'select count(*)::int as n from doc_chunks where model = $1 and dims = $2',
      [embedder.model, dims],
    );
    return Number(row?.n ?? 0) * dims * 4 <= exactScanMaxBytes;
  }

  async function loadStats(version: string): Promise<IndexStats> {
    const exact = await inProcessScan();
    const vectorColumns = exact
      ? 'embedding_f32 as raw, case when embedding_f32 is null then embedding end as embedding'
      : 'null::bytea as raw, null::real[] as embedding';
    const [rows, lexemeRows] = await Promise.all([
      db.query<{
        id: string | number;
        did: string;
        kind: DocKind;
        title: string;
        content: string;
        raw: Uint8Array | null;
        embedding: number[] | null;
        sid: string;
      }>(
        `select id, doc_id as did, kind, title, content, source_id as sid, ${vectorColumns}
         from doc_chunks where model = $1 and dims = $2 order by id`,
        [embedder.model, dims],
      ),
      db.query<{ word: string; ndoc: number }>(
        "select word, ndoc from ts_stat(format('select tsv from doc_chunks where model = %L', $1::text))",
        [embedder.model],
      ),
      lexemes.lexemesOf(synonymWords()),
    ]);
    let idf: IndexStats['idf'];
    if (isHashingEmbedder(embedder)) {
      const df = new Map<string, number>();
      for (const row of rows) {
        for (const term of new Set(embedder.terms(`${row.did} ${row.title}\n${row.content}`))) {
          df.set(term, (df.get(term) ?? 0) + 1);
        }
      }
      const total = rows.length;
      const weights = new Map<string, number>();
      for (const [term, count] of df) weights.set(term, Math.log(1 + (total - count + 0.5) / (count + 0.5)));
      idf = { weights };
    }
    const matrix = exact
      ? buildVectorMatrix(
          rows.map((row) => ({
            id: Number(row.id),
            docId: row.did,
            kind: row.kind,
            embedding: row.raw ? float32FromBytes(row.raw, dims) : (row.embedding ?? []),
          })),
          dims,
          version,
        )
      : undefined;
    return {
      version,
      lexemeDf: new Map(lexemeRows.map((row) => [row.word, Number(row.ndoc)])),
      idf,
      matrix,
      contents: new Map(rows.map((row) => [Number(row.id), row.content])),
      thirdParty: new Set(rows.filter((row) => isThirdPartySource(row.sid)).map((row) => Number(row.id))),
    };
  }

  /** Caches of the index (term statistics, the vector matrix in exact mode), reloaded when the version moves. */
  function statsFor(version: string): Promise<IndexStats> {
    if (!statsPromise || statsPromise.version !== version) {
      const promise = loadStats(version);
      statsPromise = { version, promise };
      promise.catch(() => {
        if (statsPromise?.promise === promise) statsPromise = undefined;
      });
    }
    return statsPromise.promise;
  }

  /**
   * The offline embedder weights query words by their inverse document frequency over the indexed chunks:
   * "send" appears in half the docs, "reaction" in three.
   */
  function queryVector(query: string, stats: IndexStats): Promise<number[]> | number[] {
    const idf = stats.idf;
    if (!isHashingEmbedder(embedder) || !idf) return embedder.embedQuery(query);
    return embedder.embedQueryWeighted(query, (term) => idf.weights.get(term) ?? 0);
  }

  async function vectorCandidates(
    vector: number[],
    kinds: DocKind[] | null,
    stats: IndexStats,
  ): Promise<RankedChunk[]> {
    if (!stats.matrix) {
      // HNSW's default search breadth (ef_search 40) lost the real docs among 3k+ near-identical chunks (the
      // greedy walk stayed in the big cluster: padded recall@5 0.06); 200 finds them. Local to this transaction.
      const rows = await db.transaction(async (tx) => {
        await tx.query(`select set_config('hnsw.ef_search', '${HNSW_EF_SEARCH}', true)`);
        return tx.query<{ id: string | number; did: string; kind: DocKind }>(
          `select id, doc_id as did, kind from doc_chunks
           where dims = ${dims} and model = $2 and ($3::text[] is null or kind = any($3::text[]))
           order by embedding_vec::vector(${dims}) <=> $1::real[]::vector(${dims})
           limit ${CANDIDATES}`,
          [vectorLiteral(vector), embedder.model, kinds],
        );
      });
      return rows.map((row) => ({ id: Number(row.id), docId: row.did, kind: row.kind }));
    }
    return topByDotProduct(stats.matrix, vector, CANDIDATES, kinds);
  }

  /**
   * Full-text candidates (see text-query.ts) and, in the same round trip, the index version: searches run on
   * the cached statistics and check they were current with the answer.
   */
  async function textCandidates(
    query: string,
    kinds: DocKind[] | null,
    stats: IndexStats,
  ): Promise<{ version: string; ranked: RankedChunk[] }> {
    const orQuery = toWebsearchOr(query, synonymsOf);
    const words = orQuery ? orQuery.split(' or ') : [];
    const queryLexemes = lexemes.cached(words) ?? (await lexemes.lexemesOf(words));
    const filter = chooseFilterLexemes(queryLexemes, (lexeme) => stats.lexemeDf.get(lexeme) ?? 0);
    const rows = await db.query<{ v: string; id: string | number | null; did: string; kind: DocKind }>(
      `with hits as materialized (
         select id, doc_id, kind, tsv from doc_chunks
         where $1::text is not null and tsv @@ $1::tsquery and model = $3
           and ($4::text[] is null or kind = any($4::text[]))
         limit ${TEXT_SCAN_CAP}
       ), ranked as (
         select id, doc_id, kind, ts_rank(tsv, q, 1) as rank
         from hits, websearch_to_tsquery('english', $2) as q
         order by rank desc, id
         limit ${CANDIDATES}
       )
       select v.version::text as v, r.id, r.doc_id as did, r.kind
       from doc_chunks_version as v left join ranked as r on true
       order by r.rank desc nulls last, r.id`,
      [filter.length ? orTsquery(filter) : null, orQuery, embedder.model, kinds],
    );
    return {
      version: rows[0]?.v ?? '0',
      ranked: rows
        .filter((row) => row.id !== null)
        .map((row) => ({ id: Number(row.id), docId: row.did, kind: row.kind })),
    };
  }

  /** Both ranked lists; when the index changed since the cached statistics, reloads them and runs again. */
  async function candidates(query: string, kinds: DocKind[] | null) {
    let stats = await (statsPromise?.promise ?? statsFor(await indexVersion()));
    for (let attempt = 0; ; attempt++) {
      const vectorOfQuery = await queryVector(query, stats);
      // The full-text query goes out first; the in-process cosine scan (exact mode) runs while Postgres works.
      const pendingText = textCandidates(query, kinds, stats);
      if (stats.matrix) await new Promise<void>((resolve) => setImmediate(resolve));
      const byVector = await vectorCandidates(vectorOfQuery, kinds, stats);
      const text = await pendingText;
      if (text.version === stats.version || attempt > 0) return { stats, byVector, byText: text.ranked };
      stats = await statsFor(text.version);
    }
  }

  async function search(query: string, searchOptions: DocSearchOptions = {}): Promise<DocSearchHit[]> {
    const k = Math.max(1, Math.min(50, Math.trunc(searchOptions.k ?? 5)));
    const kinds = searchOptions.kinds?.length ? searchOptions.kinds : null;
    if (!query.trim()) return [];
    const { stats, byVector, byText } = await candidates(query, kinds);
    const ranked = fuseRankedLists(
      [
        { hits: byVector, weight: fusion.vector },
        { hits: byText, weight: fusion.text },
      ],
      fusion.k,
      (hit) => KIND_PRIOR[hit.kind],
    ).slice(0, k);
    return ranked.map((entry) => ({
      id: entry.docId,
      kind: entry.hit.kind,
      score: Math.round(entry.score * 10_000) / 10_000,
      snippet: toSnippet(stats.contents.get(entry.bestChunk) ?? ''),
      thirdParty: stats.thirdParty.has(entry.bestChunk),
    }));
  }

  return {
    embedder,
    mode,
    async vectorScan() {
      const stats = await statsFor(await indexVersion());
      return stats.matrix ? 'in-process' : 'hnsw';
    },
    sync: (sources, syncOptions) => {
      const scope = syncOptions?.scope ?? '';
      return apply(sources, Array.isArray(scope) ? scope : [scope]);
    },
    upsert: (sources) => apply(sources, null),
    async remove(prefix) {
      const rows = await db.query<{ n: number }>(
        `with gone as (delete from doc_chunks where starts_with(source_id, $1) returning source_id)
         select count(distinct source_id)::int as n from gone`,
        [prefix],
      );
      return rows[0]?.n ?? 0;
    },
    search,
    async candidates(query, candidateOptions = {}) {
      const kinds = candidateOptions.kinds?.length ? candidateOptions.kinds : null;
      if (!query.trim()) return { vector: [], text: [] };
      const { byVector, byText } = await candidates(query, kinds);
      const ids = (list: RankedChunk[]) => [...new Set(list.map((hit) => hit.docId))];
      return { vector: ids(byVector), text: ids(byText) };
    },
  };
}
