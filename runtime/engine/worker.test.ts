import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { getRunView, waitForRun } from '../store/run-store.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { triggerSync } from '../triggers/trigger-kinds.ts';
import { startRun } from './engine.ts';
import type { NodeRunnerDeps } from './node-runner.ts';
import { startEngineWorker } from './worker.ts';

let db: TestDatabase;
let service: WorkflowService;
let deps: NodeRunnerDeps;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 20 });
  service = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
  const logger = createLogger({ level: 'silent' });
  deps = { sql: db.sql, connectors: [], connectorEnv: { baseUrls: {}, fetch, logger }, logger };
});
afterAll(async () => {
  await db.drop();
});

describe('engine workers', () => {
  it('two workers: a fan-out of 20 joins exactly once per run', async () => {
    const branches = Array.from({ length: 20 }, (_, i) => `b${i}`);
    const { id } = await service.create({
      schemaVersion: 1,
      name: 'fan',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'start', uses: 'core.delay', with: { ms: 0 } },
        ...branches.map((b) => ({ id: b, uses: 'core.delay', with: { ms: 0 } })),
        { id: 'join', uses: 'core.merge', with: {} },
      ],
      edges: [
        ...branches.map((b) => ({ from: 'start', to: b })),
        ...branches.map((b) => ({ from: b, to: 'join' })),
      ],
    });
    const one = await startEngineWorker({
      deps,
      connectionString: db.url,
      concurrency: 8,
      pollIntervalMs: 100,
    });
    const two = await startEngineWorker({
      deps,
      connectionString: db.url,
      concurrency: 8,
      pollIntervalMs: 100,
    });
    try {
      const runIds = await Promise.all(
        Array.from({ length: 8 }, async () => (await startRun(db.sql, id, {})).runId),
      );
      for (const runId of runIds) {
        const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
        expect(view.status).toBe('succeeded');
        expect(Object.keys(view.output as object).sort()).toEqual([...branches].sort());
      }
      const joins = await db.sql`
        select run_id, count(*)::int as n from run_events where type = 'step.succeeded' and payload->>'nodeId' = 'join'
        group by run_id`;
      expect(joins).toHaveLength(8);
      expect(joins.every((row) => row.n === 1)).toBe(true);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });

  it('two workers: a fan-out of 100 (with skipped branches) joins exactly once per run', async () => {
    const branches = Array.from({ length: 100 }, (_, i) => `b${i}`);
    const { id } = await service.create({
      schemaVersion: 1,
      name: 'fan100',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'start', uses: 'core.if', with: { condition: '{{ true }}' } },
        { id: 'never', uses: 'core.transform', with: { value: 0 } },
        ...branches.map((b) => ({ id: b, uses: 'core.transform', with: { value: b } })),
        { id: 'join', uses: 'core.merge', with: {} },
        { id: 'after', uses: 'core.transform', with: { value: '{{ steps.b7.output != null }}' } },
      ],
      edges: [
        ...branches.map((b) => ({ from: 'start', to: b, branch: 'true' })),
        { from: 'start', to: 'never', branch: 'false' },
        { from: 'never', to: 'join' },
        ...branches.map((b) => ({ from: b, to: 'join' })),
        { from: 'join', to: 'after' },
      ],
    });
    const workers = await Promise.all(
      [0, 1].map(() =>
        startEngineWorker({ deps, connectionString: db.url, concurrency: 8, pollIntervalMs: 100 }),
      ),
    );
    try {
      const runIds = await Promise.all(
        Array.from({ length: 3 }, async () => (await startRun(db.sql, id, {})).runId),
      );
      for (const runId of runIds) {
        const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
        expect(view.status).toBe('succeeded');
        expect(view.output).toBe(true);
        // 103 steps: more than a view's default page.
        const all = await getRunView(db.sql, runId, { stepsLimit: 500 });
        expect(all.steps.find((step) => step.id === 'never')?.status).toBe('skipped');
      }
      const joins = await db.sql`
        select run_id, count(*)::int as n from run_events where type = 'step.succeeded' and payload->>'nodeId' = 'join'
          and run_id = any(${runIds}) group by run_id`;
      expect(joins).toHaveLength(3);
      expect(joins.every((row) => row.n === 1)).toBe(true);
      const [merged] =
        await db.sql`select output from steps where run_id = ${runIds[0] ?? ''} and node_id = 'join'`;
      expect(Object.keys(merged?.output as object)).toHaveLength(100);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  }, 60_000);

  it('kill -9 of a worker mid-step: the step is released, re-runs elsewhere, and the run completes once', async () => {
    const { id } = await service.create({
      schemaVersion: 1,
      name: 'slow',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'first', uses: 'core.delay', with: { ms: 0 } },
        {
          id: 'slow',
          uses: 'core.code',
          timeoutMs: 20_000,
          with: { code: 'const end = Date.now() + 3000; while (Date.now() < end) {} return "done";' },
        },
        { id: 'last', uses: 'core.transform', with: { value: '{{ steps.slow.output }}' } },
      ],
      edges: [
        { from: 'first', to: 'slow' },
        { from: 'slow', to: 'last' },
      ],
    });
    const { runId } = await startRun(db.sql, id, {});
    const child: ChildProcess = spawn(
      process.execPath,
      ['bin/vmesh.mjs', 'worker', '--lease', '2000', '--concurrency', '2'],
      {
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          LOG_LEVEL: 'silent',
          VMESH_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
        },
        stdio: 'ignore',
      },
    );
    try {
      // 'first' resumes from its delay job and the pure chain after it runs in memory: wait until that job is
      // locked and the slow code is spinning, then kill the worker before anything after 'first' is recorded.
      let locked = false;
      for (let i = 0; i < 300 && !locked; i++) {
        const [row] = await db.sql`
          select 1 from graphile_worker._private_jobs j join steps s on s.run_id = ${runId} and s.node_id = 'first'
          where j.locked_by is not null and j.payload->>'runId' = ${runId} and s.attempt >= 1 and s.status = 'waiting'
            and s.wake_at <= now()`;
        locked = Boolean(row);
        if (!locked) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(locked).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const [before] =
        await db.sql`select count(*)::int as n from steps where run_id = ${runId} and status = 'succeeded'`;
      expect(before?.n).toBe(0);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const survivor = await startEngineWorker({
      deps,
      connectionString: db.url,
      concurrency: 2,
      leaseMs: 2000,
      pollIntervalMs: 200,
    });
    try {
      const view = await waitForRun(db.sql, runId, { timeoutMs: 25_000 });
      expect(view.status).toBe('succeeded');
      expect(view.output).toBe('done');
      const succeeded = await db.sql`
        select payload->>'nodeId' as node, count(*)::int as n from run_events
        where run_id = ${runId} and type = 'step.succeeded' group by 1`;
      expect(succeeded.every((row) => row.n === 1)).toBe(true);
      const [first] = await db.sql`select fence from steps where run_id = ${runId} and node_id = 'first'`;
      expect(Number(first?.fence)).toBeGreaterThanOrEqual(3);
    } finally {
      await survivor.stop();
    }
  }, 60_000);
});
