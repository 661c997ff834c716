import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { waitForRun } from '../store/run-store.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { triggerSync } from '../triggers/trigger-kinds.ts';
import { cancelRun, startRun } from './engine.ts';
import type { NodeRunnerDeps } from './node-runner.ts';
import { payloadConnector } from './testing/payload-connector.ts';
import { eventually } from './testing/spawn-worker.ts';
import { type EngineWorker, startEngineWorker } from './worker.ts';

// Starvation: one run's foreach of 500 slow items and 20 core.code steps spinning until their time limit (more
// than the sandbox has processes) must not hold all of a worker's job slots: a one-step run started meanwhile
// starts and finishes at once, long before the heavy run.

let db: TestDatabase;
let service: WorkflowService;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 20 });
  service = createWorkflowService(db.sql, [payloadConnector], { onTriggerChange: triggerSync([]) });
  const logger = createLogger({ level: 'silent' });
  const deps: NodeRunnerDeps = {
    sql: db.sql,
    connectors: [payloadConnector],
    connectorEnv: { baseUrls: {}, fetch, logger },
    logger,
  };
  // 4 slots, so a run may hold 2 of them (the default: half).
  worker = await startEngineWorker({ deps, connectionString: db.url, concurrency: 4, pollIntervalMs: 100 });
});
afterAll(async () => {
  await worker.stop();
  await db.drop();
});

describe('starvation: a heavy run does not keep other runs waiting', () => {
  it('a one-step run started while a heavy run fills the queue finishes within seconds, before it', async () => {
    const heavy = await service.create({
      schemaVersion: 1,
      name: 'heavy',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'start', uses: 'core.transform', with: { value: 1 } },
        {
          id: 'items',
          uses: 'core.foreach',
          with: { items: Array.from({ length: 500 }, (_, i) => i), concurrency: 50 },
          do: { nodes: [{ id: 'slow', uses: 'payload.slow', with: { ms: 1_000 } }], edges: [] },
        },
        {
          id: 'spin',
          uses: 'core.foreach',
          with: { items: Array.from({ length: 20 }, (_, i) => i), concurrency: 20 },
          do: {
            nodes: [
              { id: 'loop', uses: 'core.code', with: { code: 'while (true) {}' }, onError: 'continue' },
            ],
            edges: [],
          },
        },
      ],
      edges: [
        { from: 'start', to: 'items' },
        { from: 'start', to: 'spin' },
      ],
    });
    const light = await service.create({
      schemaVersion: 1,
      name: 'light',
      trigger: { type: 'manual' },
      nodes: [{ id: 'only', uses: 'core.transform', with: { value: '{{ trigger.n + 1 }}' } }],
      edges: [],
    });
    const { runId: heavyRun } = await startRun(db.sql, heavy.id, {});
    try {
      // The heavy run is busy: its item and code jobs are queued ahead of anything started from now on.
      await eventually(
        async () => {
          const [row] = await db.sql`
            select count(*)::int as n from steps where run_id = ${heavyRun} and status = 'running'`;
          return (row?.n ?? 0) >= 2;
        },
        10_000,
        'the heavy run to be running steps',
      );
      const started = performance.now();
      const { runId } = await startRun(db.sql, light.id, { n: 41 });
      const view = await waitForRun(db.sql, runId, { timeoutMs: 15_000 });
      const latencyMs = performance.now() - started;
      expect(view.status).toBe('succeeded');
      expect(view.output).toBe(42);
      // Generous: it takes a few hundred ms here; with the heavy run holding every slot it took over 15 s.
      expect(latencyMs).toBeLessThan(5_000);
      const [heavyRow] = await db.sql`select status from runs where id = ${heavyRun}`;
      expect(heavyRow?.status).toBe('running');
      // No slot of this worker was held by more than its share of one run.
      const slow = await db.sql`
        select count(*)::int as n from steps where run_id = ${heavyRun} and node_id = 'slow' and status = 'succeeded'`;
      expect(slow[0]?.n ?? 0).toBeLessThan(500);
    } finally {
      await cancelRun(db.sql, heavyRun);
    }
  });

  it('twenty runs spinning in core.code (ten times the sandbox processes) do not hold the slots a new run needs', async () => {
    const spin = await service.create({
      schemaVersion: 1,
      name: 'spin',
      trigger: { type: 'manual' },
      nodes: [{ id: 'loop', uses: 'core.code', with: { code: 'while (true) {}' } }],
      edges: [],
    });
    const light = await service.create({
      schemaVersion: 1,
      name: 'light after spin',
      trigger: { type: 'manual' },
      nodes: [{ id: 'only', uses: 'payload.slow', with: { ms: 0 } }],
      edges: [],
    });
    const spinning = await Promise.all(
      Array.from({ length: 20 }, async () => (await startRun(db.sql, spin.id, {})).runId),
    );
    try {
      await eventually(
        async () => {
          const [row] = await db.sql`
            select count(*)::int as n from steps where run_id = any(${spinning}) and status = 'running'`;
          return (row?.n ?? 0) >= 2;
        },
        10_000,
        'the sandboxed steps to be running',
      );
      const started = performance.now();
      const { runId } = await startRun(db.sql, light.id, {});
      const view = await waitForRun(db.sql, runId, { timeoutMs: 15_000 });
      expect(view.status).toBe('succeeded');
      expect(performance.now() - started).toBeLessThan(5_000);
      const [left] = await db.sql`
        select count(*)::int as n from runs where id = any(${spinning}) and status in ('queued', 'running')`;
      expect(left?.n ?? 0).toBeGreaterThan(0);
      // Putting a step back for a busy sandbox does not use up its attempts.
      const [attempts] =
        await db.sql`select max(attempt)::int as n from steps where run_id = any(${spinning})`;
      expect(attempts?.n ?? 0).toBeLessThanOrEqual(1);
    } finally {
      for (const runId of spinning) await cancelRun(db.sql, runId);
    }
  });
});
