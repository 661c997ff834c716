// Retrieval benchmark: quality on evals/retrieval/labelled.jsonl (all, train, held-out test) and search latency
// with the index padded to 10k chunks, on the embedded PostgreSQL (exact cosine in process; no pgvector there)
// and on PGlite with pgvector (its default scan, and HNSW forced), unless --no-pglite.
// The knowledge base (kb-bench.ts): HNSW recall@10 against the exact scan and p50 search latency at 100k
// near-duplicate chunks (`--kb-chunks N`, `--no-kb`, `--kb-only`).
// `npm run bench:retrieval -- --json` prints one JSON object. The machine is shared: the load average is printed
// beside the timings.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { builtinConnectors } from '../../connectors/index.ts';
import { createSqlClient } from '../../db/client.ts';
import { ensureDatabaseExists } from '../../db/database.ts';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { createCatalog } from '../../runtime/workflow/catalog.ts';
import { evaluateRetrieval, type LabelledExample, loadLabelledSet, recallByFamily } from '../evaluate.ts';
import {
  collectDocSources,
  createDocIndex,
  createHashingEmbedder,
  type DocIndex,
  pgliteQueryRunner,
  type QueryRunner,
  toQueryRunner,
} from '../index.ts';
import { applyRetrievalSchema } from '../pglite-schema.ts';
import { fillerSources } from './filler-sources.ts';
import { runKbBench } from './kb-bench.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const withPglite = !args.includes('--no-pglite');
const withKb = !args.includes('--no-kb');
const kbOnly = args.includes('--kb-only');
/** Chunks in the knowledge-base part (`--kb-chunks N`, default 100k). */
const KB_CHUNKS = Number(args[args.indexOf('--kb-chunks') + 1]) || 100_000;
const TARGET_CHUNKS = 10_000;
/** The PGlite part stops timing searches after this long (it runs single-threaded in WebAssembly). */
const PGLITE_BUDGET_MS = 60_000;
const log = (message: string) => {
  if (!json) process.stderr.write(`${message}\n`);
};
const round2 = (value: number) => Math.round(value * 100) / 100;
const load = () => loadavg().map(round2);

async function countChunks(db: QueryRunner): Promise<number> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from doc_chunks');
  return row?.n ?? 0;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round2(sorted[i] ?? 0);
}

async function latency(index: DocIndex, examples: LabelledExample[], rounds: number, budgetMs = Infinity) {
  const coldStarted = performance.now();
  await index.search(examples[0]?.query ?? 'send a message', { k: 5 }); // loads the caches (matrix, term stats)
  const firstSearchMs = Math.round(performance.now() - coldStarted);
  for (const example of examples.slice(1, 11)) await index.search(example.query, { k: 5 });
  const times: number[] = [];
  const started = performance.now();
  let partial = false;
  for (let r = 0; r < rounds && !partial; r++) {
    for (const example of examples) {
      if (performance.now() - started > budgetMs) {
        partial = true;
        break;
      }
      const t = performance.now();
      await index.search(example.query, { k: 5 });
      times.push(performance.now() - t);
    }
  }
  times.sort((a, b) => a - b);
  return {
    searches: times.length,
    p50Ms: percentile(times, 50),
    p90Ms: percentile(times, 90),
    p99Ms: percentile(times, 99),
    firstSearchMs,
    ...(partial ? { partial: true } : {}),
    loadAverage: load(),
  };
}

async function quality(index: DocIndex, examples: LabelledExample[]) {
  const all = await evaluateRetrieval(index, examples);
  const strip = ({ misses: _misses, ...scores }: typeof all) => scores;
  const train = strip(
    await evaluateRetrieval(
      index,
      examples.filter((e) => e.split === 'train'),
    ),
  );
  const test = strip(
    await evaluateRetrieval(
      index,
      examples.filter((e) => e.split === 'test'),
    ),
  );
  const heldOut = examples.filter((e) => e.split === 'test');
  return {
    all: strip(all),
    train,
    test,
    byConnector: {
      heldOut: await recallByFamily(index, heldOut),
      all: await recallByFamily(index, examples),
    },
    misses: all.misses,
  };
}

const examples = await loadLabelledSet();
const embedder = createHashingEmbedder();
const sources = await collectDocSources({
  connectors: builtinConnectors,
  catalog: createCatalog(builtinConnectors),
});
if (kbOnly) {
  const kb = await runKbBench({ chunks: KB_CHUNKS, log });
  process.stdout.write(`${JSON.stringify({ kb, loadAverage: load() }, null, json ? 0 : 2)}\n`);
  process.exit(0);
}
const dataDir = await mkdtemp(join(tmpdir(), 'vmesh-retrieval-bench-'));
// Readable by the postgres OS user the embedded server runs as when we are root.
await chmod(dataDir, 0o755);
const server = await startEmbeddedPostgres({ dataDir, durability: 'fast' });
const result: Record<string, unknown> = {
  embedder: embedder.model,
  cpus: cpus().length,
  loadAverageAtStart: load(),
  labelled: {
    n: examples.length,
    train: examples.filter((e) => e.split === 'train').length,
    test: examples.filter((e) => e.split === 'test').length,
  },
  connectors: builtinConnectors.map((c) => c.id),
};
try {
  await ensureDatabaseExists(server.url, 'bench');
  const url = server.urlFor('bench');
  await migrateDatabase(url);
  const sql = createSqlClient(url, { max: 4 });
  try {
    const runner = toQueryRunner(sql);
    const index = createDocIndex({ db: sql, embedder, log });
    const started = performance.now();
    const sync = await index.sync(sources);
    const docChunks = await countChunks(runner);
    result.sync = { ...sync, ms: Math.round(performance.now() - started) };
    result.mode = await index.mode();
    const q = await quality(index, examples);
    result.recallAt1 = q.all.recallAt1;
    result.recallAt5 = q.all.recallAt5;
    result.mrr = q.all.mrr;
    result.quality = {
      chunks: docChunks,
      all: q.all,
      train: q.train,
      test: q.test,
      byConnector: q.byConnector,
    };
    result.misses = q.misses;
    log(`quality (docs only, ${docChunks} chunks): ${JSON.stringify(q.all)}`);

    const docsTiming = await latency(index, examples, 3);
    const padStarted = performance.now();
    await index.upsert(fillerSources(Math.max(0, TARGET_CHUNKS - docChunks)));
    const chunks = await countChunks(runner);
    log(`padded to ${chunks} chunks in ${Math.round(performance.now() - padStarted)} ms`);
    const padded = await quality(index, examples);
    const timing = await latency(index, examples, 3);
    result.exact = {
      mode: await index.mode(),
      docsOnly: { chunks: docChunks, ...docsTiming },
      chunks,
      ...timing,
      qualityPadded: { all: padded.all, train: padded.train, test: padded.test },
    };
    result.p50Ms = timing.p50Ms;
    result.p99Ms = timing.p99Ms;
  } finally {
    await sql.end({ timeout: 5 });
  }
  if (withPglite) {
    const pg = await PGlite.create({ extensions: { vector } });
    try {
      await applyRetrievalSchema(pg);
      const runner = pgliteQueryRunner(pg);
      const index = createDocIndex({ db: runner, embedder, log });
      await index.sync(sources);
      const padStarted = performance.now();
      await index.upsert(fillerSources(Math.max(0, TARGET_CHUNKS - (await countChunks(runner)))));
      const chunks = await countChunks(runner);
      log(`pglite padded to ${chunks} chunks in ${Math.round(performance.now() - padStarted)} ms`);
      // The default (exact in process while the embeddings are small) and HNSW forced, on the same chunks.
      for (const [key, measured] of [
        ['pgvector', index],
        ['pgvectorHnsw', createDocIndex({ db: runner, embedder, log, exactScanMaxBytes: 0 })],
      ] as const) {
        const timing = await latency(measured, examples, 2, PGLITE_BUDGET_MS);
        const padded = await quality(measured, examples);
        result[key] = {
          mode: await measured.mode(),
          vectorScan: await measured.vectorScan(),
          chunks,
          ...timing,
          qualityPadded: { all: padded.all, train: padded.train, test: padded.test },
        };
      }
    } finally {
      await pg.close();
    }
  }
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
if (withKb) result.kb = await runKbBench({ chunks: KB_CHUNKS, log });
result.loadAverageAtEnd = load();

process.stdout.write(`${JSON.stringify(result, null, json ? 0 : 2)}\n`);
