import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpConnector } from '../../connectors/index.ts';
import { createSqlClient, type Sql } from '../../db/client.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { startRun } from './engine.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import { type EffectServer, startEffectServer } from './testing/effect-server.ts';
import { type RestartablePostgres, startRestartablePostgres } from './testing/restartable-postgres.ts';
import { eventually } from './testing/spawn-worker.ts';
import { superviseWorkers, type WorkerSupervisor } from './testing/worker-supervisor.ts';

// The database goes away under load: 200 runs are queued, two worker processes work on them, and once a quarter
// of the side effects have happened this test's own embedded Postgres is shut down (fast shutdown: sessions are
// terminated mid-transaction) with the effect server's answers held, so steps that already performed their
// effect try to record it while the database is down. Then it starts again on the same data directory. Every run
// must still succeed, each step must be recorded once, and every effect must have happened once per
// idempotency key. Run with `npm run test:chaos`.
//
// The workers run under a supervisor that replaces a dead process, as a process manager would in production:
// with graphile-worker 0.18.0 a worker process usually dies on the restart (an unhandled rejection in its local
// queue, localQueue.js:372, "Error occurred whilst returning jobs from local queue to database queue"). The
// crashes are printed with the measurements; the guarantees above must hold regardless.

const RUNS = 200;
const EFFECT_STEPS = ['charge', 'ship'] as const;
const RESTART_AFTER_EFFECTS = (RUNS * EFFECT_STEPS.length) / 4;
const secretKey = Buffer.alloc(32, 9).toString('base64');

let pg: RestartablePostgres;
let sql: Sql;
let engine: EngineServices;
let effects: EffectServer;
let workers: WorkerSupervisor | undefined;

type Restart = { downMs: number; stopMs: number; terminalRunsBefore: number; effectsBefore: number };
let restarted: Promise<Restart> | undefined;
let databaseDown: Promise<void> | undefined;
let armed = false;

beforeAll(async () => {
  pg = await startRestartablePostgres({
    dataDir: resolve('.test-data', `pg-restart-${process.pid}`),
    database: 'vmesh_restart',
  });
  sql = createSqlClient(pg.url, { max: 4 });
  engine = await createEngineServices(
    { sql, url: pg.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [httpConnector],
    },
  );
  effects = await startEffectServer({
    async beforeAnswer() {
      if (armed && !restarted && effects.effects() >= RESTART_AFTER_EFFECTS) {
        let down: () => void = () => {};
        databaseDown = new Promise((resolveDown) => {
          down = resolveDown;
        });
        restarted = restartNow(() => down());
      }
      // Answers of effects performed before the shutdown are held until the database is down.
      await databaseDown;
    },
  });
}, 120_000);

async function restartNow(whileDown: () => void): Promise<Restart> {
  const effectsBefore = effects.effects();
  const [row] =
    await sql`select count(*)::int as n from runs where status in ('succeeded', 'failed', 'cancelled')`;
  const { downMs, stopMs } = await pg.restart(whileDown);
  return { downMs, stopMs, terminalRunsBefore: Number(row?.n ?? 0), effectsBefore };
}

afterAll(async () => {
  await workers?.stop();
  await sql?.end({ timeout: 5 });
  await effects?.close();
  await pg?.destroy();
}, 60_000);

/** A check that treats a query failing while the database is away as "not yet". */
async function terminalRuns(runIds: string[]): Promise<number> {
  try {
    const [row] = await sql`
      select count(*)::int as n from runs where id = any(${runIds}) and status in ('succeeded', 'failed', 'cancelled')`;
    return Number(row?.n ?? 0);
  } catch {
    return -1;
  }
}

describe('Postgres restart', () => {
  it('restarting the database while 200 runs are in flight: all complete, no duplicate effects', async () => {
    const started = performance.now();
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'charge and ship',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'charge',
          uses: 'http.request',
          with: { method: 'POST', url: `${effects.url}/charge`, body: { order: '{{ trigger.order }}' } },
        },
        {
          id: 'ship',
          uses: 'http.request',
          with: {
            method: 'POST',
            url: `${effects.url}/ship`,
            body: { order: '{{ trigger.order }}', charge: '{{ steps.charge.output.body.effect }}' },
          },
        },
        {
          id: 'done',
          uses: 'core.transform',
          with: {
            value: {
              charged: '{{ steps.charge.output.body.key }}',
              shipped: '{{ steps.ship.output.body.key }}',
            },
          },
        },
      ],
      edges: [
        { from: 'charge', to: 'ship' },
        { from: 'ship', to: 'done' },
      ],
    });
    const runIds: string[] = [];
    for (let order = 0; order < RUNS; order += 1) runIds.push((await startRun(sql, id, { order })).runId);
    armed = true;
    const env = {
      DATABASE_URL: pg.url,
      VMESH_SECRET_KEY: secretKey,
      VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
      VMESH_DB_POOL_SIZE: '10',
      CHAOS_LEASE_MS: '10000',
      CHAOS_CONCURRENCY: '8',
    };
    const supervisor = await superviseWorkers(2, env);
    workers = supervisor;
    const workersReady = performance.now();

    await eventually(async () => restarted !== undefined, 60_000, 'a quarter of the effects (the restart)');
    const restart = await (restarted as Promise<Restart>);
    const back = performance.now();
    const allTerminal = await eventually(
      async () => (await terminalRuns(runIds)) === RUNS,
      Number(process.env.CHAOS_RESTART_WAIT_MS) || 120_000,
      'every run to finish',
    ).then(
      () => true,
      () => false,
    );
    const finished = performance.now();
    // What is left in the queue (nothing when all went well): who holds it, how often it ran, its last error.
    const jobs = await sql`
      select locked_by, attempts, left(last_error, 300) as last_error, count(*)::int as n,
        min(locked_at)::text as locked_since, min(run_at)::text as run_at
      from graphile_worker._private_jobs group by 1, 2, 3 order by n desc limit 20`;

    const crashes = supervisor.crashes();
    const statuses = await sql`
      select status, error->>'code' as code, count(*)::int as n from runs where id = any(${runIds})
      group by 1, 2 order by 1, 2`;
    const steps = await sql`
      select node_id, status, count(*)::int as n, max(attempt)::int as max_attempt,
        count(*) filter (where attempt > 1)::int as retried
      from steps where run_id = any(${runIds}) group by 1, 2 order by 1, 2`;
    const succeededEvents = await sql`
      select run_id, payload->>'nodeId' as node_id, count(*)::int as n from run_events
      where run_id = any(${runIds}) and type = 'step.succeeded' group by 1, 2 having count(*) <> 1`;
    const byKey = effects.requestsByKey();
    const report = {
      runs: RUNS,
      effectSteps: EFFECT_STEPS.length,
      restart,
      workersReadyMs: Math.round(workersReady - started),
      restartDoneAtMs: Math.round(back - started),
      allTerminal,
      terminalRuns: await terminalRuns(runIds),
      allTerminalAfterRestartMs: Math.round(finished - back),
      totalMs: Math.round(finished - started),
      effectRequests: effects.requests(),
      distinctKeys: byKey.size,
      keysSentMoreThanOnce: [...byKey.values()].filter((count) => count > 1).length,
      effectsPerformed: effects.effects(),
      unkeyedRequests: effects.unkeyed(),
      statuses,
      steps,
      workerProcesses: supervisor.all().length,
      // Pools a live worker replaced after graphile-worker gave one up (startEngineWorker's recovery).
      poolsReplaced: supervisor
        .all()
        .flatMap((worker) => worker.output())
        .filter((line) => line.includes('the job runner stopped; starting a new one')).length,
      workerCrashes: crashes.map(({ slot, exit, output }) => ({
        slot,
        exit,
        error: output.find((line) => /^stderr: \w*Error/.test(line)) ?? output.at(-1),
      })),
      jobs,
    };
    console.log(`postgres restart: ${JSON.stringify(report)}`);
    if (!allTerminal) {
      for (const worker of supervisor.all()) {
        console.log(
          `worker ${worker.workerId} (exit ${worker.child.exitCode ?? worker.child.signalCode}) said:\n${worker.output().join('\n')}`,
        );
      }
    }
    for (const crash of crashes) {
      console.log(
        `worker ${crash.slot} (${crash.workerId}) died (${crash.exit}):\n${crash.output.filter((line) => line.startsWith('stderr')).join('\n')}`,
      );
    }

    expect(allTerminal).toBe(true);
    // The restart really happened with work in flight.
    expect(restart.terminalRunsBefore).toBeLessThan(RUNS);
    expect(restart.effectsBefore).toBeLessThan(RUNS * EFFECT_STEPS.length);
    // Every run succeeded; every step is in the ledger once, succeeded, with one success event.
    expect(statuses).toEqual([{ status: 'succeeded', code: null, n: RUNS }]);
    expect(steps.map(({ nodeId, status, n }) => ({ nodeId, status, n }))).toEqual(
      ['charge', 'done', 'ship'].map((nodeId) => ({ nodeId, status: 'succeeded', n: RUNS })),
    );
    expect(succeededEvents).toEqual([]);
    // Every effect was performed once per idempotency key: exactly the keys of (run, effect step), no others.
    const expectedKeys = runIds.flatMap((runId) =>
      EFFECT_STEPS.map((node) => idempotencyKeyFor(runId, node, '')),
    );
    expect(effects.unkeyed()).toBe(0);
    expect(new Set(byKey.keys())).toEqual(new Set(expectedKeys));
    expect(effects.effects()).toBe(RUNS * EFFECT_STEPS.length);
    // Each run's result refers to its own effects.
    const outputs = await sql`select id, output from runs where id = any(${runIds})`;
    for (const { id: runId, output } of outputs) {
      expect(output).toEqual({
        charged: idempotencyKeyFor(String(runId), 'charge', ''),
        shipped: idempotencyKeyFor(String(runId), 'ship', ''),
      });
    }
  }, 300_000);
});
