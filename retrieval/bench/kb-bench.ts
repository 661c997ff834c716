// The knowledge-base part of bench:retrieval: `chunks` near-duplicate chunks in one collection on PGlite with
// pgvector; recall@10 of the HNSW vector list against the exact scan under several search settings (pgvector's
// defaults, the docs index's old setting, the knowledge base's tuned default), and p50 search latency.
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { createHashingEmbedder } from '../hashing-embedder.ts';
import {
  createKnowledgeBaseStore,
  DEFAULT_HNSW_TUNING,
  type HnswTuning,
  type KbVectorScan,
  PGVECTOR_DEFAULT_TUNING,
} from '../knowledge-base.ts';
import { applyKnowledgeBaseSchema } from '../pglite-schema.ts';
import { pgliteQueryRunner } from '../query-runner.ts';
import { kbBenchCorpus } from './kb-corpus.ts';

const COLLECTION = 'bench';
const WORKSPACE = 'default';
const K = 10;
const LOAD_BATCH = 2_000;

/** The settings compared: `before` is what the docs index used (ef_search 200, no iterative scan, 40 rows). */
export const KB_BENCH_TUNINGS: Record<string, HnswTuning> = {
  pgvectorDefault: PGVECTOR_DEFAULT_TUNING,
  before: { efSearch: 200, iterative: false, candidates: 40 },
  iterative200: { efSearch: 200, iterative: true, candidates: 100 },
  tuned: DEFAULT_HNSW_TUNING,
};

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return 0;
  return round(
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0,
  );
}

export async function runKbBench(options: {
  chunks: number;
  queries?: number;
  log: (message: string) => void;
}) {
  const { log } = options;
  const embedder = createHashingEmbedder();
  const corpus = kbBenchCorpus(options.chunks, { queries: options.queries ?? 200 });
  const pg = await PGlite.create({ extensions: { vector } });
  try {
    await applyKnowledgeBaseSchema(pg);
    const db = pgliteQueryRunner(pg);
    const loader = createKnowledgeBaseStore({ db, embedder });
    await loader.mode();
    // Bulk load first, then build the index once (much faster than inserting into a growing graph).
    await db.query(`drop index if exists kb_chunks_embedding_hnsw_${embedder.dims}`);
    const loadStarted = performance.now();
    for (let start = 0; start < corpus.docs.length; start += LOAD_BATCH) {
      await loader.upsert(WORKSPACE, COLLECTION, corpus.docs.slice(start, start + LOAD_BATCH));
      if ((start / LOAD_BATCH) % 10 === 0) log(`kb: loaded ${start + LOAD_BATCH} chunks`);
    }
    const loadMs = Math.round(performance.now() - loadStarted);
    const indexStarted = performance.now();
    await db.query("set maintenance_work_mem = '512MB'");
    const store = createKnowledgeBaseStore({ db, embedder, exactScanMaxBytes: 0 });
    await store.mode(); // creates the HNSW index over the loaded rows
    await db.query('analyze kb_chunks');
    const indexMs = Math.round(performance.now() - indexStarted);
    const [counted] = await db.query<{ n: number }>('select count(*)::int as n from kb_chunks');
    log(`kb: ${counted?.n} chunks loaded in ${loadMs} ms, HNSW built in ${indexMs} ms`);

    const vectors = await Promise.all(corpus.queries.map((query) => embedder.embedQuery(query)));
    const truth: number[][] = [];
    for (const queryVector of vectors) {
      truth.push(await store.vectorCandidates(WORKSPACE, COLLECTION, queryVector, K, 'exact'));
    }
    const recall: Record<
      string,
      { recallAt10: number; p50Ms: number; efSearch: number; iterative: boolean; candidates: number }
    > = {};
    for (const [name, tuning] of Object.entries(KB_BENCH_TUNINGS)) {
      let found = 0;
      let expected = 0;
      const times: number[] = [];
      for (const [i, queryVector] of vectors.entries()) {
        const started = performance.now();
        const ids = await store.vectorCandidates(WORKSPACE, COLLECTION, queryVector, K, 'hnsw', tuning);
        times.push(performance.now() - started);
        const exact = new Set(truth[i]);
        expected += exact.size;
        found += ids.filter((id) => exact.has(id)).length;
      }
      recall[name] = {
        ...tuning,
        recallAt10: round(found / Math.max(1, expected), 3),
        p50Ms: percentile(times, 50),
      };
      log(`kb: ${name} ${JSON.stringify(recall[name])}`);
    }

    const search: Record<string, { p50Ms: number; p90Ms: number; firstSearchMs: number }> = {};
    for (const scan of ['hnsw', 'exact'] as const satisfies readonly KbVectorScan[]) {
      const firstStarted = performance.now();
      await store.search(WORKSPACE, COLLECTION, corpus.queries[0] ?? 'key', { k: K, vectorScan: scan });
      const firstSearchMs = Math.round(performance.now() - firstStarted);
      const times: number[] = [];
      for (const query of corpus.queries) {
        const started = performance.now();
        await store.search(WORKSPACE, COLLECTION, query, { k: K, vectorScan: scan });
        times.push(performance.now() - started);
      }
      search[scan] = { p50Ms: percentile(times, 50), p90Ms: percentile(times, 90), firstSearchMs };
      log(`kb: search (${scan}) ${JSON.stringify(search[scan])}`);
    }
    return {
      database: 'pglite+pgvector',
      chunks: counted?.n ?? 0,
      queries: corpus.queries.length,
      loadMs,
      indexBuildMs: indexMs,
      vectorRecallAt10: recall,
      search,
    };
  } finally {
    await pg.close();
  }
}
