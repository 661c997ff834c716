import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { retryRun, startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices, RUN_PRUNE_TASK } from '../services.ts';
import type { WorkflowDocument } from '../workflow/index.ts';
import { runRetentionDays } from './run-retention.ts';
import { getRunView, waitForRun } from './run-store.ts';
import { setWorkflowRetention } from './workflow-retention.ts';

// VMESH_RUN_RETENTION_DAYS through the worker's scheduled task: old runs lose their data, keep their record.

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase();
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'), VMESH_RUN_RETENTION_DAYS: '7' },
      connectors: [],
    },
  );
  worker = await engine.startWorker({ concurrency: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

const document = {
  schemaVersion: 1,
  name: 'kept briefly',
  trigger: { type: 'manual' },
  nodes: [
    { id: 'shape', uses: 'core.transform', with: { value: '{{ trigger.n }}' } },
    {
      id: 'check',
      uses: 'core.code',
      retry: { maxAttempts: 1 },
      with: {
        code: 'if (input > 5) throw new Error("too big"); await files.write({ name: "n.txt", data: String(input) }); return input',
        input: '{{ steps.shape.output }}',
      },
    },
  ],
  edges: [{ from: 'shape', to: 'check' }],
} as unknown as WorkflowDocument;

async function pruneNow(): Promise<void> {
  await db.sql`select graphile_worker.add_job(${RUN_PRUNE_TASK}, '{}'::json)`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const [pending] = await db.sql`
      select count(*)::int as n from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = ${RUN_PRUNE_TASK}`;
    if (pending?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the prune job did not run');
}

describe('run retention', () => {
  it('prunes the data of runs that finished before the retention time, keeps their records and summaries', async () => {
    const { id } = await engine.workflows.create(document, undefined, {});
    const runs: string[] = [];
    for (const n of [1, 9, 2]) {
      const { runId } = await startRun(db.sql, id, { n });
      await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
      runs.push(runId);
    }
    const [oldOk, oldFailed, recent] = runs as [string, string, string];
    expect(await db.sql`select id from files where run_id = ${oldOk}`).toHaveLength(1);
    await db.sql`
      update runs set created_at = created_at - interval '10 days', started_at = started_at - interval '10 days',
        finished_at = finished_at - interval '10 days'
      where id in ${db.sql([oldOk, oldFailed])}`;

    await pruneNow();

    for (const runId of [oldOk, oldFailed]) {
      const [row] = await db.sql`select trigger, output, pruned_at, summary from runs where id = ${runId}`;
      expect(row?.prunedAt).toBeInstanceOf(Date);
      expect(row?.trigger).toBeNull();
      expect(row?.output).toBeNull();
      expect(await db.sql`select 1 from steps where run_id = ${runId}`).toHaveLength(0);
      expect(await db.sql`select 1 from run_events where run_id = ${runId}`).toHaveLength(0);
      expect(await db.sql`select 1 from files where run_id = ${runId}`).toHaveLength(0);
    }
    const failed = await getRunView(db.sql, oldFailed);
    expect(failed).toMatchObject({
      status: 'failed',
      steps: [],
      pruned: { summary: { steps: 2, failedSteps: 1 } },
    });
    expect(failed.pruned?.summary.durationMs).toBeGreaterThanOrEqual(0);
    expect(failed.error).toMatchObject({ nodeId: 'check' });
    await expect(retryRun(db.sql, oldFailed)).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining('pruned'),
    });

    const kept = await getRunView(db.sql, recent);
    expect(kept).toMatchObject({ status: 'succeeded', output: 2, pruned: null });
    expect(kept.steps).toHaveLength(2);
    expect(await db.sql`select 1 from files where run_id = ${recent}`).toHaveLength(1);

    // A second pass finds nothing more to prune.
    await pruneNow();
    expect((await getRunView(db.sql, recent)).pruned).toBeNull();
  });

  it("prunes by each workflow's own retention over the global one: 1 day, the global 7, and 0 (forever)", async () => {
    const brief = await engine.workflows.create({ ...document, name: 'one day' }, undefined, {});
    const usual = await engine.workflows.create({ ...document, name: 'global days' }, undefined, {});
    const forever = await engine.workflows.create({ ...document, name: 'kept forever' }, undefined, {});
    await setWorkflowRetention(db.sql, brief.id, 1, 7, {});
    await setWorkflowRetention(db.sql, forever.id, 0, 7, {});
    const aged = async (workflowId: string, days: number) => {
      const { runId } = await startRun(db.sql, workflowId, { n: 1 });
      await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
      await db.sql`
        update runs set created_at = created_at - make_interval(days => ${days}),
          started_at = started_at - make_interval(days => ${days}), finished_at = finished_at - make_interval(days => ${days})
        where id = ${runId}`;
      return runId;
    };
    const briefOld = await aged(brief.id, 2);
    const briefNew = await aged(brief.id, 0);
    const usualTwoDays = await aged(usual.id, 2);
    const usualOld = await aged(usual.id, 10);
    const foreverOld = await aged(forever.id, 400);

    await pruneNow();

    const pruned = async (runId: string) => (await getRunView(db.sql, runId)).pruned !== null;
    expect(await pruned(briefOld)).toBe(true);
    expect(await pruned(briefNew)).toBe(false);
    expect(await pruned(usualTwoDays)).toBe(false);
    expect(await pruned(usualOld)).toBe(true);
    expect(await pruned(foreverOld)).toBe(false);
    expect(await db.sql`select 1 from steps where run_id = ${foreverOld}`).toHaveLength(2);
    const changes = await db.sql`
      select details from audit_log where action = 'workflow.retention_changed' and subject_id = ${brief.id}`;
    expect(changes.map((row) => row.details)).toEqual([{ from: null, to: 1 }]);

    // Back to the global setting: the 400-day-old run of the workflow that kept forever goes at the next prune.
    await setWorkflowRetention(db.sql, forever.id, null, 7, {});
    await pruneNow();
    expect(await pruned(foreverOld)).toBe(true);
  });

  it('reads VMESH_RUN_RETENTION_DAYS: default 30, 0 keeps forever, anything else is refused with what to write', () => {
    expect(runRetentionDays({})).toBe(30);
    expect(runRetentionDays({ VMESH_RUN_RETENTION_DAYS: '0' })).toBe(0);
    expect(() => runRetentionDays({ VMESH_RUN_RETENTION_DAYS: '2w' })).toThrow(/whole number of days/);
  });
});
