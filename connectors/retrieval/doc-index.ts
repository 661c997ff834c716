import { createHash } from 'node:crypto';
import type { Sql } from '../../db/index.ts';
import { CHUNKER_VERSION, chunkSource, embeddingText } from './chunk-source.ts';
import type { DocKind, DocSource } from './doc-source.ts';
import type { Embedder } from './embedder.ts';
import { isHashingEmbedder } from './hashing-embedder.ts';
import { asQueryRunner, type QueryRunner } from './query-runner.ts';
import { synonymsOf } from './text-features.ts';

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
};

export type DocSearchOptions = {
  /** How many documented ids to return (default 5). */
  k?: number;
  /** Only these kinds (default: all). */
  kinds?: DocKind[];
};

export type VectorMode = 'pgvector' | 'exact';

export type DocIndex = {
  readonly embedder: Embedder;
  /** `pgvector` when `CREATE EXTENSION vector` succeeded, else `exact` (cosine over real[] in process). */
  mode(): Promise<VectorMode>;
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
};

/** Candidates taken from each ranked list before fusion. */
const CANDIDATES = 40;
/** Reciprocal rank fusion constant (Cormack et al.); small lists favour a smaller k. */
const RRF_K = 20;
const WEIGHTS = { vector: 1, text: 0.8 } as const;
/**
 * Connector overviews (credentials, rate limits) match many requests loosely; people mostly look for an action,
 * trigger or core node, so overview hits count for less and do not crowd those out.
 */
const KIND_PRIOR: Record<DocKind, number> = { action: 1, trigger: 1, core: 1, connector: 0.6 };
const SNIPPET_CHARS = 280;
const INSERT_BATCH = 400;

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

type MatrixCache = {
  fingerprint: string;
  ids: Float64Array;
  docIds: string[];
  kinds: DocKind[];
  vectors: Float32Array;
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
}): DocIndex {
  const fusion = {
    vector: options.fusion?.vector ?? WEIGHTS.vector,
    text: options.fusion?.text ?? WEIGHTS.text,
    k: options.fusion?.k ?? RRF_K,
  };
  const db = asQueryRunner(options.db);
  const { embedder } = options;
  const log = options.log ?? (() => {});
  const dims = embedder.dims;
  if (!Number.isInteger(dims) || dims <= 0)
    throw new Error(`Embedder ${embedder.model} has invalid dims ${dims}.`);
  let modePromise: Promise<VectorMode> | undefined;
  let matrix: MatrixCache | undefined;
  let termStats: { fingerprint: string; idf: Map<string, number>; defaultIdf: number } | undefined;

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
    await db.transaction(async (tx) => {
      if (replace.size)
        await tx.query('delete from doc_chunks where source_id = any($1::text[])', [[...replace]]);
      for (let start = 0; start < rows.length; start += INSERT_BATCH) {
        const batch = rows.slice(start, start + INSERT_BATCH);
        await tx.query(
          `insert into doc_chunks (source_id, chunk_index, doc_id, kind, title, content, content_hash, model, dims, embedding)
           select s, i, d, k, t, c, h, $8, $9, e::real[]
           from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $10::text[])
             as u(s, i, d, k, t, c, h, e)`,
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

  async function indexFingerprint(): Promise<string> {
    const [stamp] = await db.query<{ n: number; m: string }>(
      'select count(*)::int as n, coalesce(max(id), 0)::text as m from doc_chunks where model = $1',
      [embedder.model],
    );
    return `${stamp?.n ?? 0}:${stamp?.m ?? 0}`;
  }

  /**
   * Inverse document frequency of each term over the indexed chunks (reloaded when the index changes). The
   * offline embedder weights query words by it: "send" appears in half the docs, "reaction" in three.
   */
  async function queryVector(query: string, fingerprint: string): Promise<number[]> {
    if (!isHashingEmbedder(embedder)) return embedder.embedQuery(query);
    if (!termStats || termStats.fingerprint !== fingerprint) {
      const rows = await db.query<{ doc: string; title: string; content: string }>(
        'select doc_id as doc, title, content from doc_chunks where model = $1',
        [embedder.model],
      );
      const df = new Map<string, number>();
      for (const row of rows) {
        for (const term of new Set(embedder.terms(`${row.doc} ${row.title}\n${row.content}`))) {
          df.set(term, (df.get(term) ?? 0) + 1);
        }
      }
      const total = rows.length;
      const idf = new Map<string, number>();
      for (const [term, count] of df) idf.set(term, Math.log(1 + (total - count + 0.5) / (count + 0.5)));
      termStats = { fingerprint, idf, defaultIdf: Math.log(1 + (total + 0.5) / 0.5) };
    }
    const stats = termStats;
    return embedder.embedQueryWeighted(query, (term) => stats.idf.get(term) ?? stats.defaultIdf);
  }

  async function loadMatrix(fingerprint: string): Promise<MatrixCache> {
    if (matrix && matrix.fingerprint === fingerprint) return matrix;
    const rows = await db.query<{ id: string | number; did: string; kind: DocKind; embedding: number[] }>(
      'select id, doc_id as did, kind, embedding from doc_chunks where model = $1 and dims = $2',
      [embedder.model, dims],
    );
    const vectors = new Float32Array(rows.length * dims);
    const ids = new Float64Array(rows.length);
    rows.forEach((row, r) => {
      ids[r] = Number(row.id);
      vectors.set(row.embedding.slice(0, dims), r * dims);
    });
    matrix = {
      fingerprint,
      ids,
      docIds: rows.map((row) => row.did),
      kinds: rows.map((row) => row.kind),
      vectors,
    };
    return matrix;
  }

  type Ranked = { id: number; docId: string; kind: DocKind };

  async function vectorCandidates(
    queryVector: number[],
    kinds: DocKind[] | null,
    fingerprint: string,
  ): Promise<Ranked[]> {
    if ((await mode()) === 'pgvector') {
      const rows = await db.query<{ id: string | number; did: string; kind: DocKind }>(
        `select id, doc_id as did, kind from doc_chunks
         where dims = ${dims} and model = $2 and ($3::text[] is null or kind = any($3::text[]))
         order by embedding_vec::vector(${dims}) <=> $1::real[]::vector(${dims})
         limit ${CANDIDATES}`,
        [vectorLiteral(queryVector), embedder.model, kinds],
      );
      return rows.map((row) => ({ id: Number(row.id), docId: row.did, kind: row.kind }));
    }
    const m = await loadMatrix(fingerprint);
    const q = Float32Array.from(queryVector);
    const count = m.ids.length;
    const top: { row: number; score: number }[] = [];
    let floor = -Infinity;
    for (let r = 0; r < count; r++) {
      if (kinds && !kinds.includes(m.kinds[r] as DocKind)) continue;
      let dot = 0;
      const offset = r * dims;
      for (let d = 0; d < dims; d++) dot += (m.vectors[offset + d] as number) * (q[d] as number);
      if (top.length < CANDIDATES || dot > floor) {
        top.push({ row: r, score: dot });
        if (top.length > CANDIDATES * 4) {
          top.sort((a, b) => b.score - a.score);
          top.length = CANDIDATES;
          floor = top[CANDIDATES - 1]?.score ?? -Infinity;
        }
      }
    }
    top.sort((a, b) => b.score - a.score);
    return top.slice(0, CANDIDATES).map(({ row }) => ({
      id: m.ids[row] as number,
      docId: m.docIds[row] as string,
      kind: m.kinds[row] as DocKind,
    }));
  }

  async function textCandidates(query: string, kinds: DocKind[] | null): Promise<Ranked[]> {
    const orQuery = toWebsearchOr(query, synonymsOf);
    if (!orQuery) return [];
    const rows = await db.query<{ id: string | number; did: string; kind: DocKind }>(
      `select id, doc_id as did, kind from doc_chunks, websearch_to_tsquery('english', $1) as q
       where tsv @@ q and model = $2 and ($3::text[] is null or kind = any($3::text[]))
       order by ts_rank(tsv, q, 1) desc, id
       limit ${CANDIDATES}`,
      [orQuery, embedder.model, kinds],
    );
    return rows.map((row) => ({ id: Number(row.id), docId: row.did, kind: row.kind }));
  }

  async function search(query: string, searchOptions: DocSearchOptions = {}): Promise<DocSearchHit[]> {
    const k = Math.max(1, Math.min(50, Math.trunc(searchOptions.k ?? 5)));
    const kinds = searchOptions.kinds?.length ? searchOptions.kinds : null;
    if (!query.trim()) return [];
    const fingerprint = await indexFingerprint();
    const vectorOfQuery = await queryVector(query, fingerprint);
    const [byVector, byText] = await Promise.all([
      vectorCandidates(vectorOfQuery, kinds, fingerprint),
      textCandidates(query, kinds),
    ]);
    // Reciprocal rank fusion at the level of documented ids: each list contributes its best chunk per id.
    const fused = new Map<
      string,
      { kind: DocKind; score: number; bestChunk: number; bestContribution: number }
    >();
    const addList = (list: Ranked[], weight: number) => {
      const seen = new Set<string>();
      let rank = 0;
      for (const hit of list) {
        if (seen.has(hit.docId)) continue;
        seen.add(hit.docId);
        rank++;
        const contribution = (weight * KIND_PRIOR[hit.kind]) / (fusion.k + rank);
        const entry = fused.get(hit.docId);
        if (!entry) {
          fused.set(hit.docId, {
            kind: hit.kind,
            score: contribution,
            bestChunk: hit.id,
            bestContribution: contribution,
          });
        } else {
          entry.score += contribution;
          if (contribution > entry.bestContribution) {
            entry.bestChunk = hit.id;
            entry.bestContribution = contribution;
          }
        }
      }
    };
    if (fusion.vector > 0) addList(byVector, fusion.vector);
    if (fusion.text > 0) addList(byText, fusion.text);
    const ranked = [...fused.entries()]
      .sort((a, b) => b[1].score - a[1].score || a[0].localeCompare(b[0]))
      .slice(0, k);
    if (!ranked.length) return [];
    const contents = await db.query<{ id: string | number; content: string }>(
      'select id, content from doc_chunks where id = any($1::bigint[])',
      [ranked.map(([, entry]) => entry.bestChunk)],
    );
    const contentById = new Map(contents.map((row) => [Number(row.id), row.content]));
    return ranked.map(([id, entry]) => ({
      id,
      kind: entry.kind,
      score: Math.round(entry.score * 10_000) / 10_000,
      snippet: toSnippet(contentById.get(entry.bestChunk) ?? ''),
    }));
  }

  return {
    embedder,
    mode,
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
  };
}
