// node bin/run-ts.mjs runtime/bench/fairness-bench.ts --json   (also the `fairness` key of bench:engine)
// One worker, a heavy run (a foreach of 500 HTTP calls answered after 50 ms, 50 at a time, beside a foreach of 20
// core.code steps spinning until their 1 s limit) and one-step runs started while it is busy: how long the
// one-step run takes with and without the heavy run, and how fast the heavy foreach alone goes with the per-run
// share of the worker's slots (the default, half) and without it (runConcurrency = concurrency).
// Database: embedded (default) or DATABASE_URL. Prints one JSON object.
import { createServer } from 'node:http';
import { httpConnector } from '../../connectors/http/connector.ts';
import type { Sql } from '../../db/index.ts';
import { createSqlClient } from '../../db/index.ts';
import { cancelRun, startRun } from '../engine/engine.ts';
import { createEngineServices } from '../services.ts';
import { SETTLED_RUN } from '../store/run-status.ts';
import { runBenchMain } from './bench-database.ts';

const round = (value: number) => Math.round(value * 10) / 10;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
};

async function settled(sql: Sql, runId: string): Promise<string> {
  for (;;) {
    const [row] = await sql`select status from runs where id = ${runId}`;
    if (SETTLED_RUN.has(String(row?.status))) return String(row?.status);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type FairnessResult = {
  concurrency: number;
  runConcurrency: number;
  oneStepAloneP50Ms: number;
  oneStepUnderHeavyP50Ms: number;
  oneStepUnderHeavyMaxMs: number;
  oneStepUnderHeavyUncappedP50Ms: number;
  oneStepUnderHeavyUncappedMaxMs: number;
  heavyForeach500Seconds: number;
  heavyForeach500UncappedSeconds: number;
  /** Items per second with the per-run share over items per second without it. */
  heavyThroughputRatio: number;
};

/** Measures on the given database (migrated, worker schema installed); starts and stops its own workers. */
export async function measureFairness(url: string, concurrency = 10): Promise<FairnessResult> {
  const sql = createSqlClient(url, { max: 20 });
  const server = createServer((request, response) => {
    request.resume();
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    }, 50);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const target = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slow`;
  const engine = await createEngineServices(
    { sql, url, kind: 'external', close: async () => {} },
    {
      env: {
        ...process.env,
        VMESH_SECRET_KEY: Buffer.alloc(32, 4).toString('base64'),
        VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
      },
      connectors: [httpConnector],
    },
  );
  const items = {
    id: 'items',
    uses: 'core.foreach',
    with: { items: Array.from({ length: 500 }, (_, i) => i), concurrency: 50 },
    do: {
      nodes: [{ id: 'call', uses: 'http.request', with: { method: 'GET', url: target } }],
      edges: [],
    },
  };
  const foreachOnly = await engine.workflows.create({
    schemaVersion: 1,
    name: `fair foreach ${Date.now()}`,
    trigger: { type: 'manual' },
    nodes: [items],
    edges: [],
  });
  const heavy = await engine.workflows.create({
    schemaVersion: 1,
    name: `fair heavy ${Date.now()}`,
    trigger: { type: 'manual' },
    nodes: [
      { id: 'start', uses: 'core.transform', with: { value: 1 } },
      items,
      {
        id: 'spin',
        uses: 'core.foreach',
        with: { items: Array.from({ length: 20 }, (_, i) => i), concurrency: 20 },
        do: {
          nodes: [{ id: 'loop', uses: 'core.code', with: { code: 'while (true) {}' }, onError: 'continue' }],
          edges: [],
        },
      },
    ],
    edges: [
      { from: 'start', to: 'items' },
      { from: 'start', to: 'spin' },
    ],
  });
  const oneStep = await engine.workflows.create({
    schemaVersion: 1,
    name: `fair one step ${Date.now()}`,
    trigger: { type: 'manual' },
    nodes: [{ id: 'only', uses: 'core.transform', with: { value: 1 } }],
    edges: [],
  });
  const oneStepTimes = async (count: number) => {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const { runId } = await startRun(sql, oneStep.id, {});
      await settled(sql, runId);
      times.push(performance.now() - started);
    }
    return times;
  };
  const underHeavy = async () => {
    const { runId } = await startRun(sql, heavy.id, {});
    await new Promise((r) => setTimeout(r, 500));
    const times = await oneStepTimes(10);
    await cancelRun(sql, runId);
    return times;
  };
  const foreachSeconds = async () => {
    const started = performance.now();
    const { runId } = await startRun(sql, foreachOnly.id, {});
    const status = await settled(sql, runId);
    if (status !== 'succeeded') throw new Error(`the heavy foreach ${runId} ${status}`);
    return (performance.now() - started) / 1000;
  };
  const withWorker = async <T>(runConcurrency: number | undefined, measure: () => Promise<T>) => {
    const worker = await engine.startWorker({ concurrency, ...(runConcurrency ? { runConcurrency } : {}) });
    try {
      return await measure();
    } finally {
      await worker.stop();
    }
  };
  try {
    const alone = await withWorker(undefined, async () => {
      await oneStepTimes(5);
      return oneStepTimes(20);
    });
    const capped = await withWorker(undefined, underHeavy);
    const uncapped = await withWorker(concurrency, underHeavy);
    const cappedSeconds = await withWorker(undefined, foreachSeconds);
    const uncappedSeconds = await withWorker(concurrency, foreachSeconds);
    return {
      concurrency,
      runConcurrency: Math.max(1, Math.floor(concurrency / 2)),
      oneStepAloneP50Ms: percentile(alone, 50),
      oneStepUnderHeavyP50Ms: percentile(capped, 50),
      oneStepUnderHeavyMaxMs: percentile(capped, 100),
      oneStepUnderHeavyUncappedP50Ms: percentile(uncapped, 50),
      oneStepUnderHeavyUncappedMaxMs: percentile(uncapped, 100),
      heavyForeach500Seconds: round(cappedSeconds),
      heavyForeach500UncappedSeconds: round(uncappedSeconds),
      heavyThroughputRatio: Math.round((uncappedSeconds / cappedSeconds) * 100) / 100,
    };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runBenchMain('fair', 'fairness', 200, measureFairness);
}
