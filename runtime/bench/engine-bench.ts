// npm run bench:engine -- --json   (its `fairness` and `tracing` keys: runtime/bench/fairness-bench.ts and
// runtime/bench/tracing-bench.ts, which also run alone)
// Measures the engine against raw graphile-worker baselines on the same database (embedded by default, or
// DATABASE_URL). Every figure comes from this one run; nothing is estimated. The npm script sets LOG_LEVEL=warn so
// stdout is the JSON alone; LOG_LEVEL=info measures with the server's access and run log lines written too.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger as GraphileLogger, run as runGraphile, type Task } from 'graphile-worker';
import { createHttpServer } from '../../app/server.ts';
import { httpConnector } from '../../connectors/http/connector.ts';
import { createSqlClient, findFreePort } from '../../db/index.ts';
import { startRun } from '../engine/engine.ts';
import { workerTuning } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { SETTLED_RUN } from '../store/run-status.ts';
import { openBenchDatabase } from './bench-database.ts';
import { measureFairness } from './fairness-bench.ts';
import { measureTracingCost } from './tracing-bench.ts';

const json = process.argv.includes('--json');
const log = (message: string) => {
  if (!json) process.stderr.write(`${message}\n`);
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 100) / 100
  );
};
const round = (value: number) => Math.round(value * 10) / 10;

const loadAtStart = loadavg().map((value) => round(value));
const benchStarted = performance.now();
const benchDatabase = await openBenchDatabase('bench', 300);
const url = benchDatabase.url;
const sql = createSqlClient(url, { max: 30 });
const CONCURRENCY = 10;

// ---- raw graphile-worker baselines ----
async function rawBaselines() {
  let done = 0;
  let wake: () => void = () => {};
  const chainTimes = new Map<string, number>();
  const chainDone = new Map<string, number>();
  const noop: Task = async () => {
    done += 1;
    wake();
  };
  const chain: Task = async (payload, helpers) => {
    const { id, step } = payload as { id: string; step: number };
    if (step < 10) await helpers.addJob('chain', { id, step: step + 1 });
    else {
      chainDone.set(id, performance.now());
      wake();
    }
  };
  const runner = await runGraphile({
    ...workerTuning(CONCURRENCY),
    connectionString: url,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    taskList: { noop, chain },
    logger: new GraphileLogger(() => () => {}),
    pollInterval: 1000,
  });
  const until = async (condition: () => boolean) => {
    while (!condition())
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
  };
  const N = 3000;
  const start = performance.now();
  await sql`select count(*) from graphile_worker.add_jobs(array(select row('noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec from generate_series(1, ${N})))`;
  await until(() => done >= N);
  const jobsPerSec = N / ((performance.now() - start) / 1000);
  const single: number[] = [];
  for (let i = 0; i < 20; i++) {
    const id = `s${i}`;
    chainTimes.set(id, performance.now());
    await runner.addJob('chain', { id, step: 1 });
    await until(() => chainDone.has(id));
    single.push((chainDone.get(id) ?? 0) - (chainTimes.get(id) ?? 0));
  }
  const loadStart = performance.now();
  await Promise.all(Array.from({ length: 200 }, (_, i) => runner.addJob('chain', { id: `l${i}`, step: 1 })));
  await until(() => [...chainDone.keys()].filter((k) => k.startsWith('l')).length >= 200);
  const chainLoadStepsPerSec = 2000 / ((performance.now() - loadStart) / 1000);
  await runner.stop();
  return {
    jobsPerSec: round(jobsPerSec),
    chain10P50Ms: percentile(single, 50),
    chainLoadStepsPerSec: round(chainLoadStepsPerSec),
  };
}

log('raw graphile-worker baselines…');
const raw = await rawBaselines();

// ---- engine ----
const database = { sql, url, kind: 'external' as const, close: async () => {} };
const engine = await createEngineServices(database, {
  env: {
    ...process.env,
    VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
  },
  connectors: [httpConnector],
});
const worker = await engine.startWorker({ concurrency: CONCURRENCY });

const chainDoc = (uses: 'core.transform' | 'core.delay', trigger = 'manual', respond = false) => {
  const nodes = Array.from({ length: 10 }, (_, i) =>
    respond && i === 9
      ? { id: `n${i}`, uses: 'core.respond', with: { status: 200, body: '{{ steps.n8.output }}' } }
      : {
          id: `n${i}`,
          uses,
          with:
            uses === 'core.delay'
              ? { ms: 0 }
              : { value: i === 0 ? '{{ 1 }}' : `{{ steps.n${i - 1}.output + 1 }}` },
        },
  );
  return {
    schemaVersion: 1,
    name: `chain-${uses}`,
    trigger: { type: trigger },
    nodes,
    edges: nodes.slice(1).map((n, i) => ({ from: `n${i}`, to: n.id })),
  };
};

const waiters = new Map<string, () => void>();
await sql.listen('vmesh_runs', (payload) => {
  for (const id of payload.split(',')) waiters.get(id)?.();
});
async function finished(runId: string): Promise<string> {
  for (;;) {
    const [row] = await sql`select status from runs where id = ${runId}`;
    const status = String(row?.status);
    if (SETTLED_RUN.has(status)) {
      waiters.delete(runId);
      return status;
    }
    await new Promise<void>((r) => {
      waiters.set(runId, r);
      setTimeout(r, 200);
    });
  }
}
async function timedRuns(workflowId: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const { runId } = await startRun(sql, workflowId, {});
    const status = await finished(runId);
    if (status !== 'succeeded') throw new Error(`bench run ${runId} ${status}`);
    times.push(performance.now() - t);
  }
  return times;
}

log('engine chain10…');
const pureChain = await engine.workflows.create(chainDoc('core.transform'));
await timedRuns(pureChain.id, 5);
const chainTimes = await timedRuns(pureChain.id, 50);
const durableChain = await engine.workflows.create(chainDoc('core.delay'));
const durableTimes = await timedRuns(durableChain.id, 20);

log('engine throughput, 200 in flight…');
const loadStart = performance.now();
const loadRuns = await Promise.all(
  Array.from({ length: 200 }, async () => (await startRun(sql, pureChain.id, {})).runId),
);
const loadStatuses = await Promise.all(loadRuns.map(finished));
const loadSeconds = (performance.now() - loadStart) / 1000;

log('fan-out 100 + join…');
const branches = Array.from({ length: 100 }, (_, i) => `b${i}`);
const fan = await engine.workflows.create({
  schemaVersion: 1,
  name: 'fan',
  trigger: { type: 'manual' },
  nodes: [
    { id: 'start', uses: 'core.transform', with: { value: 1 } },
    ...branches.map((b) => ({ id: b, uses: 'core.transform', with: { value: b } })),
    { id: 'join', uses: 'core.merge', with: {} },
  ],
  edges: [
    ...branches.map((b) => ({ from: 'start', to: b })),
    ...branches.map((b) => ({ from: b, to: 'join' })),
  ],
});
await timedRuns(fan.id, 1);
const fanTimes = await timedRuns(fan.id, 8);

log('webhooks…');
// Loopback without a token, as on a fresh install: only the signed hooks are used here (they need no person). The
// rate limits are off: this measures the engine behind the hooks, not the limiter (429 past 100 deliveries/s).
const app = createHttpServer({
  database,
  startedAt: Date.now(),
  version: 'bench',
  env: { VMESH_RATE_LIMIT_HOOKS: '0', VMESH_RATE_LIMIT_API: '0' },
});
engine.registerHttp(app, { publicUrl: 'http://127.0.0.1' });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
async function hookFor(document: unknown) {
  const created = await engine.workflows.create(document);
  await engine.workflows.activate(created.id);
  const [row] = await sql`select hook_secret from workflows where id = ${created.id}`;
  return { url: `${base}/hooks/${created.id}`, secret: String(row?.hookSecret) };
}
const queuedHook = await hookFor({
  schemaVersion: 1,
  name: 'hook',
  trigger: { type: 'webhook' },
  nodes: [{ id: 'a', uses: 'core.transform', with: { value: '{{ trigger.body }}' } }],
  edges: [],
});
type CannonResult = { latency: { p50: number }; requests: { average: number }; non2xx: number };
/** autocannon in its own process (its CLI, --json), so the load generator does not share the server's event loop. */
async function cannon(target: { url: string; secret: string }, seconds: number): Promise<CannonResult> {
  const child = spawn(
    process.execPath,
    [
      resolve('node_modules/autocannon/autocannon.js'),
      '--json',
      '-c',
      '10',
      '-d',
      String(seconds),
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-H',
      `x-vmesh-secret=${target.secret}`,
      '-b',
      JSON.stringify({ hello: 'world' }),
      target.url,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(output) as CannonResult;
}
const queued = await cannon(queuedHook, 8);
const completionHook = await hookFor(chainDoc('core.transform', 'webhook', true));
const completion = await cannon(completionHook, 8);

// ---- metrics overhead: throughput with and without a /metrics scraper ----
log('metrics overhead: waves of 200 in flight, without and with a scraper on /metrics…');
// Rounds come in pairs, off-on then on-off, so drift and a noisy machine weigh on both sides alike; each round is
// METRICS_WAVES waves of 200 runs in flight (about half a minute). The scraper asks every METRICS_SCRAPE_MS,
// Prometheus' default interval. Before each "on" round one scrape, not timed, reads the events the "off" round
// before it left, so each side pays only for its own runs. Besides throughput, the CPU time of this process (server,
// worker and scraper alike) per run: less swayed by the other load on the machine.
const METRICS_ROUNDS = 4;
const METRICS_WAVES = 15;
const METRICS_SCRAPE_MS = 15_000;
const scrapeMetrics = async (): Promise<number> => {
  const started = performance.now();
  const response = await fetch(`${base}/metrics`);
  await response.text();
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  return performance.now() - started;
};
async function loadRound(
  scraped: boolean,
): Promise<{ workflowsPerSec: number; cpuMsPerRun: number; scrapeMs: number[] }> {
  if (scraped) await scrapeMetrics();
  const scrapeMs: number[] = [];
  let running = true;
  const scraper = (async () => {
    while (scraped && running) {
      scrapeMs.push(await scrapeMetrics());
      await new Promise((r) => setTimeout(r, METRICS_SCRAPE_MS));
    }
  })();
  const started = performance.now();
  const cpuFrom = process.cpuUsage();
  for (let wave = 0; wave < METRICS_WAVES; wave++) {
    const ids = await Promise.all(
      Array.from({ length: 200 }, async () => (await startRun(sql, pureChain.id, {})).runId),
    );
    const statuses = await Promise.all(ids.map(finished));
    if (statuses.some((status) => status !== 'succeeded')) throw new Error('a metrics-overhead run failed');
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuFrom);
  running = false;
  await scraper;
  const runs = 200 * METRICS_WAVES;
  return { workflowsPerSec: runs / seconds, cpuMsPerRun: (cpu.user + cpu.system) / 1000 / runs, scrapeMs };
}
const metricsOff: number[] = [];
const metricsOn: number[] = [];
const metricsCpuOff: number[] = [];
const metricsCpuOn: number[] = [];
const metricsScrapeMs: number[] = [];
for (let round = 0; round < METRICS_ROUNDS; round++) {
  for (const scraped of round % 2 === 0 ? [false, true] : [true, false]) {
    const measured = await loadRound(scraped);
    (scraped ? metricsOn : metricsOff).push(measured.workflowsPerSec);
    (scraped ? metricsCpuOn : metricsCpuOff).push(measured.cpuMsPerRun);
    metricsScrapeMs.push(...measured.scrapeMs);
  }
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const metricsOverhead = {
  workflowsPerSecOff: round(median(metricsOff)),
  workflowsPerSecOn: round(median(metricsOn)),
  /** Median throughput with the scraper over the median without: ≥ 0.95 is under 5% loss. */
  onVsOff: Math.round((median(metricsOn) / Math.max(0.01, median(metricsOff))) * 1000) / 1000,
  /** The median of each pair's on/off ratio. */
  onVsOffPaired:
    Math.round(median(metricsOn.map((on, i) => on / Math.max(0.01, metricsOff[i] ?? 0))) * 1000) / 1000,
  cpuMsPerRunOff: Math.round(median(metricsCpuOff) * 100) / 100,
  cpuMsPerRunOn: Math.round(median(metricsCpuOn) * 100) / 100,
  /** CPU time of this process per run with the scraper over without: ≤ 1.05 is under 5% more work. */
  cpuOnVsOff: Math.round((median(metricsCpuOn) / Math.max(0.001, median(metricsCpuOff))) * 1000) / 1000,
  roundsOff: metricsOff.map(round),
  roundsOn: metricsOn.map(round),
  runsPerRound: 200 * METRICS_WAVES,
  scrapeEveryMs: METRICS_SCRAPE_MS,
  scrapes: metricsScrapeMs.length,
  scrapeP50Ms: percentile(metricsScrapeMs, 50),
  scrapeP99Ms: percentile(metricsScrapeMs, 99),
};
// ---- end of metrics overhead ----

log('1,000 runs at once…');
const thousandStart = performance.now();
const thousand = await Promise.all(
  Array.from({ length: 1000 }, async () => (await startRun(sql, pureChain.id, {})).runId),
);
const thousandStatuses = await Promise.all(thousand.map(finished));
const thousandSeconds = (performance.now() - thousandStart) / 1000;
const [stuck] =
  await sql`select count(*)::int as n from runs where id = any(${thousand}) and status in ('queued', 'running')`;
const wrong =
  await sql`select count(*)::int as n from runs where id = any(${thousand}) and output <> '10'::jsonb`;

log('Postgres commits per workflow (pg_stat_database.xact_commit)…');
// Backends flush their counters when idle, at most every second and at the latest after 10 s: settle before each
// read. The worker's idle commits (polling, heartbeats) over the window and this bench's own status polls are
// subtracted, so what is left is what the workflows committed.
const settle = () => new Promise((r) => setTimeout(r, 11_000));
const commitCount = async () =>
  Number(
    (await sql`select xact_commit::bigint as n from pg_stat_database where datname = current_database()`)[0]
      ?.n,
  );
await settle();
const idleFrom = await commitCount();
const idleStart = performance.now();
await new Promise((r) => setTimeout(r, 10_000));
await settle();
const idleCommitsPerSec = round(
  ((await commitCount()) - idleFrom - 1) / ((performance.now() - idleStart) / 1000),
);
const target = createServer((_request, response) => response.end('{"ok":true}'));
await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
const targetPort = (target.address() as { port: number }).port;
const actionChain = await engine.workflows.create({
  schemaVersion: 1,
  name: 'action-chain',
  trigger: { type: 'manual' },
  nodes: Array.from({ length: 10 }, (_, i) => ({
    id: `h${i}`,
    uses: 'http.request',
    with: { method: 'GET', url: `http://127.0.0.1:${targetPort}/step/${i}` },
  })),
  edges: Array.from({ length: 9 }, (_, i) => ({ from: `h${i}`, to: `h${i + 1}` })),
});
async function commitsPerWorkflow(workflowId: string, count: number): Promise<number> {
  const from = await commitCount();
  const started = performance.now();
  const ids = await Promise.all(
    Array.from({ length: count }, async () => (await startRun(sql, workflowId, {})).runId),
  );
  let polls = 0;
  for (;;) {
    polls += 1;
    const [row] =
      await sql`select count(*)::int as n from runs where id = any(${ids}) and status = 'succeeded'`;
    if (Number(row?.n) === count) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const busySeconds = (performance.now() - started) / 1000;
  await settle();
  const delta = (await commitCount()) - from - 1 - polls - idleCommitsPerSec * (busySeconds + 11);
  return round(delta / count);
}
const commitsPerPureChain10 = await commitsPerWorkflow(pureChain.id, 50);
const commitsPerActionChain10 = await commitsPerWorkflow(actionChain.id, 50);
target.close();

await worker.stop();

log('webhooks without a worker draining the runs…');
// The same queued measurement with no worker in this process: what starting runs costs on its own (above, the
// worker executes the runs on the same 2 cores while they are being queued). The runs it leaves are never run.
const queuedAlone = await cannon(queuedHook, 6);
await sql`select count(*) from graphile_worker.permanently_fail_jobs(array(
  select id from graphile_worker.jobs where locked_at is null), 'bench: queued without a worker')`;
await app.close();

log('npm start → /healthz…');
const port = await findFreePort();
/** Spawns `vmesh start`, times it to a healthy /healthz, then SIGTERMs it and checks that it stopped cleanly. */
async function startOnce(): Promise<{ ms: number; cleanStop: boolean; error?: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/vmesh.mjs', 'start'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let ms = -1;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (let i = 0; i < 1500 && !gone; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) {
        ms = Math.round(performance.now() - started);
        break;
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!gone) child.kill('SIGTERM');
  const code = await exited;
  const cleanStop = ms >= 0 && code === 0 && !/57P01|FATAL/.test(output);
  return cleanStop ? { ms, cleanStop } : { ms, cleanStop, error: `exit ${code}: ${output.slice(-400)}` };
}
const firstStart = await startOnce();
const secondStart = await startOnce();
const startToHealthzMs = secondStart.ms;

log('npm start on the embedded default → /healthz, and the doc index sync…');
/** `vmesh start` on an embedded data dir: to a healthy /healthz, and to its "doc index synced" log line. */
async function embeddedStart(
  dataDir: string,
): Promise<{ healthzMs: number; docsSyncedMs: number; docSyncMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/vmesh.mjs', 'start'], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'DATABASE_URL')),
      VMESH_DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let docsSyncedMs = -1;
  let docSyncMs = -1;
  child.stdout?.on('data', (chunk) => {
    for (const line of String(chunk).split('\n')) {
      if (!line.includes('doc index synced')) continue;
      docsSyncedMs = Math.round(performance.now() - started);
      docSyncMs = Number((JSON.parse(line) as { docs?: { ms?: number } }).docs?.ms ?? -1);
    }
  });
  let healthzMs = -1;
  for (let i = 0; i < 1500 && healthzMs < 0; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok)
        healthzMs = Math.round(performance.now() - started);
    } catch {}
    if (healthzMs < 0) await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 500 && docsSyncedMs < 0; i++) await new Promise((r) => setTimeout(r, 20));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return { healthzMs, docsSyncedMs, docSyncMs };
}
log('fairness: a one-step run beside a heavy run, and the heavy run alone…');
const fairness = await measureFairness(url, CONCURRENCY);

// ---- tracing: throughput with tracing off and on (OTLP/HTTP to a local sink), same run (tracing-bench.ts) ----
log('tracing off and on…');
const tracing = await measureTracingCost(url, CONCURRENCY);

const embeddedDir = mkdtempSync(join(tmpdir(), 'vmesh-bench-start-'));
const embeddedFirst = await embeddedStart(embeddedDir);
const embeddedSecond = await embeddedStart(embeddedDir);
await rm(embeddedDir, { recursive: true, force: true });

const result = {
  raw,
  engine: {
    chain10P50Ms: percentile(chainTimes, 50),
    chain10P99Ms: percentile(chainTimes, 99),
    workflowsPerSec: round(200 / loadSeconds),
    stepsPerSec: round(2000 / loadSeconds),
    fanout100P50Ms: percentile(fanTimes, 50),
    webhookQueuedP50Ms: queued.latency.p50,
    webhookReqPerSec: round(queued.requests.average),
    webhookCompletionP50Ms: completion.latency.p50,
    startToHealthzMs,
    commitsPerPureChain10,
    commitsPerActionChain10,
    idleCommitsPerSec,
    // extras
    startToHealthzEmbeddedMs: embeddedSecond.healthzMs,
    startToHealthzEmbeddedFreshMs: embeddedFirst.healthzMs,
    startToDocsSyncedEmbeddedFreshMs: embeddedFirst.docsSyncedMs,
    docSyncFreshMs: embeddedFirst.docSyncMs,
    docSyncUnchangedMs: embeddedSecond.docSyncMs,
    startToHealthzFirstMs: firstStart.ms,
    startStopClean: firstStart.cleanStop && secondStart.cleanStop,
    ...(firstStart.error || secondStart.error
      ? { startError: [firstStart.error, secondStart.error].filter(Boolean) }
      : {}),
    chain10DurableP50Ms: percentile(durableTimes, 50),
    loadSucceeded: loadStatuses.filter((s) => s === 'succeeded').length,
    webhookNon2xx: queued.non2xx,
    webhookQueuedNoWorkerP50Ms: queuedAlone.latency.p50,
    webhookReqPerSecNoWorker: round(queuedAlone.requests.average),
    webhookNoWorkerNon2xx: queuedAlone.non2xx,
    webhookCompletionReqPerSec: round(completion.requests.average),
    thousandRuns: {
      succeeded: thousandStatuses.filter((s) => s === 'succeeded').length,
      stuck: Number(stuck?.n),
      wrongOutput: Number(wrong[0]?.n),
      seconds: round(thousandSeconds),
    },
  },
  fairness,
  metricsOverhead,
  tracing,
  database: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
  concurrency: CONCURRENCY,
  graphileWorker:
    'localQueue.size = concurrency, completeJobBatchDelay 0, failJobBatchDelay 0 (raw and engine alike)',
  ratios: {
    chain10EngineVsRaw: round(percentile(chainTimes, 50) / Math.max(0.01, raw.chain10P50Ms)),
    stepsPerSecEngineVsRawChainLoad: round(2000 / loadSeconds / Math.max(0.01, raw.chainLoadStepsPerSec)),
  },
  loadAverage: { start: loadAtStart, end: loadavg().map((value) => round(value)) },
  benchSeconds: round((performance.now() - benchStarted) / 1000),
};
process.stdout.write(`${JSON.stringify(result, null, json ? 0 : 2)}\n`);
await sql.end({ timeout: 5 });
await benchDatabase.stop();
process.exit(0);
