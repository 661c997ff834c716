// Retrieval benchmark: quality on evals/retrieval/labelled.jsonl and search latency with the index padded to
// 10k chunks, on the embedded PostgreSQL (exact cosine; no pgvector there) and, with --pglite, on PGlite pgvector.
// `npm run bench:retrieval -- --json` prints one JSON object.
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { createSqlClient } from '../../db/client.ts';
import { ensureDatabaseExists } from '../../db/database.ts';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { createCatalog } from '../../runtime/workflow/catalog.ts';
import { builtinConnectors } from '../index.ts';
import { evaluateRetrieval, type LabelledExample, loadLabelledSet } from '../retrieval/evaluate.ts';
import {
  collectDocSources,
  createDocIndex,
  createHashingEmbedder,
  type DocIndex,
  type DocSource,
  pgliteQueryRunner,
} from '../retrieval/index.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const withPglite = args.includes('--pglite');
const TARGET_CHUNKS = 10_000;
const log = (message: string) => {
  if (!json) process.stderr.write(`${message}\n`);
};

// Filler: plausible documentation of made-up API operations, so the padding competes with the real docs.
const VERBS = [
  'create',
  'update',
  'delete',
  'list',
  'get',
  'archive',
  'restore',
  'export',
  'import',
  'sync',
  'assign',
  'approve',
  'cancel',
  'schedule',
  'send',
  'fetch',
];
const NOUNS = [
  'invoice',
  'customer',
  'order',
  'subscription',
  'payment',
  'shipment',
  'ticket',
  'contact',
  'lead',
  'report',
  'project',
  'task',
  'file',
  'folder',
  'event',
  'user',
  'team',
  'message',
  'comment',
  'label',
  'record',
  'webhook',
  'coupon',
  'product',
];
const SERVICES = [
  'Acme CRM',
  'ShopHub',
  'PayFlow',
  'TaskBoard',
  'DocuStore',
  'HelpDesk Pro',
  'ShipFast',
  'MailBlast',
  'Calendarly',
  'FormsCo',
];
const WORDS =
  'the a with for by of to in on from and or when after before each its this that returns optional required id name status date amount page limit cursor filter sort field value list object string number boolean array error rate limit retry token scope permission'.split(
    ' ',
  );

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function fillerSources(count: number): DocSource[] {
  const random = seededRandom(42);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
  const sources: DocSource[] = [];
  for (let i = 0; i < count; i++) {
    const service = pick(SERVICES);
    const verb = pick(VERBS);
    const noun = pick(NOUNS);
    const key = `${verb}${noun[0]?.toUpperCase()}${noun.slice(1)}${i}`;
    const connector = service.toLowerCase().replace(/[^a-z]/g, '');
    const sentence = () => Array.from({ length: 12 }, () => pick(WORDS)).join(' ');
    sources.push({
      sourceId: `filler:${i}`,
      docId: `${connector}.${key}`,
      kind: 'action',
      title: `${service}: ${verb} ${noun}`,
      text: `${verb[0]?.toUpperCase()}${verb.slice(1)} a ${noun} in ${service}. ${sentence()}. Parameters: \`${noun}Id\` (string, required): ${sentence()}. \`${pick(NOUNS)}\` (string, optional): ${sentence()}.`,
    });
  }
  return sources;
}

async function countChunks(
  index: DocIndex,
  query: (text: string) => Promise<{ n: number }[]>,
): Promise<number> {
  void index;
  const [row] = await query('select count(*)::int as n from doc_chunks');
  return row?.n ?? 0;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[i] ?? 0) * 100) / 100;
}

async function latency(index: DocIndex, examples: LabelledExample[], rounds: number) {
  for (const example of examples.slice(0, 10)) await index.search(example.query, { k: 5 }); // warm-up (loads the matrix)
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const example of examples) {
      const started = performance.now();
      await index.search(example.query, { k: 5 });
      times.push(performance.now() - started);
    }
  }
  times.sort((a, b) => a - b);
  return { searches: times.length, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

async function quality(index: DocIndex, examples: LabelledExample[]) {
  const all = await evaluateRetrieval(index, examples);
  const train = await evaluateRetrieval(
    index,
    examples.filter((e) => e.split === 'train'),
  );
  const test = await evaluateRetrieval(
    index,
    examples.filter((e) => e.split === 'test'),
  );
  const strip = ({ misses: _misses, ...scores }: typeof all) => scores;
  return { all: strip(all), train: strip(train), test: strip(test), misses: all.misses };
}

const examples = await loadLabelledSet();
const embedder = createHashingEmbedder();
const sources = await collectDocSources({
  connectors: builtinConnectors,
  catalog: createCatalog(builtinConnectors),
});
const dataDir = await mkdtemp(join(tmpdir(), 'vmesh-retrieval-bench-'));
// Readable by the postgres OS user the embedded server runs as when we are root.
await chmod(dataDir, 0o755);
const server = await startEmbeddedPostgres({ dataDir, durability: 'fast' });
const result: Record<string, unknown> = {
  embedder: embedder.model,
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
    const index = createDocIndex({ db: sql, embedder, log });
    const started = performance.now();
    const sync = await index.sync(sources);
    result.sync = { ...sync, ms: Math.round(performance.now() - started) };
    result.mode = await index.mode();
    const q = await quality(index, examples);
    result.recallAt1 = q.all.recallAt1;
    result.recallAt5 = q.all.recallAt5;
    result.mrr = q.all.mrr;
    result.quality = { all: q.all, train: q.train, test: q.test };
    result.misses = q.misses;
    log(`quality (docs only): ${JSON.stringify(q.all)}`);

    const docChunks = await countChunks(
      index,
      (text) => sql.unsafe(text) as unknown as Promise<{ n: number }[]>,
    );
    const filler = fillerSources(Math.max(0, TARGET_CHUNKS - docChunks));
    const padStarted = performance.now();
    await index.upsert(filler);
    const chunks = await countChunks(
      index,
      (text) => sql.unsafe(text) as unknown as Promise<{ n: number }[]>,
    );
    log(`padded to ${chunks} chunks in ${Math.round(performance.now() - padStarted)} ms`);
    const padded = await quality(index, examples);
    const timing = await latency(index, examples, 3);
    result.embedded = { mode: 'exact', chunks, ...timing, qualityPadded: padded.all };
    result.p50Ms = timing.p50Ms;
    result.p99Ms = timing.p99Ms;
  } finally {
    await sql.end({ timeout: 5 });
  }
  if (withPglite) {
    const pg = await PGlite.create({ extensions: { vector } });
    try {
      const migration = await readFile(
        new URL('../../db/migrations/2500_doc_chunks.sql', import.meta.url),
        'utf8',
      );
      await pg.exec(migration.split('-- Down Migration')[0] ?? '');
      const runner = pgliteQueryRunner(pg);
      const index = createDocIndex({ db: runner, embedder, log });
      await index.sync(sources);
      const padStarted = performance.now();
      const [docs] = await runner.query<{ n: number }>('select count(*)::int as n from doc_chunks');
      await index.upsert(fillerSources(Math.max(0, TARGET_CHUNKS - (docs?.n ?? 0))));
      const [total] = await runner.query<{ n: number }>('select count(*)::int as n from doc_chunks');
      log(`pglite padded to ${total?.n} chunks in ${Math.round(performance.now() - padStarted)} ms`);
      const padded = await quality(index, examples);
      const timing = await latency(index, examples, 1);
      result.pglite = {
        mode: await index.mode(),
        chunks: total?.n ?? 0,
        ...timing,
        qualityPadded: padded.all,
      };
    } finally {
      await pg.close();
    }
  }
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}

if (json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
