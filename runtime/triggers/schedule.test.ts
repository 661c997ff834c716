import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import type { NodeRunnerDeps } from '../engine/node-runner.ts';
import { type EngineWorker, startEngineWorker } from '../engine/worker.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { runScheduleJob, scheduleJobKey } from './schedule.ts';
import { triggerSync, triggerTasks } from './trigger-kinds.ts';

let db: TestDatabase;
let service: WorkflowService;
let deps: NodeRunnerDeps;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 12 });
  service = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
  const logger = createLogger({ level: 'silent' });
  deps = { sql: db.sql, connectors: [], connectorEnv: { baseUrls: {}, fetch, logger }, logger };
});
afterAll(async () => {
  await db.drop();
});

const scheduled = (name: string, cron: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'schedule', cron, timezone: 'UTC' },
  nodes: [{ id: 'tick', uses: 'core.transform', with: { value: '{{ trigger.scheduledAt }}' } }],
  edges: [],
});

const worker = () =>
  startEngineWorker({
    deps,
    connectionString: db.url,
    concurrency: 4,
    pollIntervalMs: 100,
    tasks: triggerTasks(deps),
  });

async function runsOf(workflowId: string) {
  const rows = await db.sql`
    select id, trigger->>'scheduledAt' as slot from runs where workflow_id = ${workflowId} order by created_at`;
  return rows.map((row) => ({ id: String(row.id), slot: String(row.slot) }));
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('schedule trigger', () => {
  it('starts exactly one run per slot with two workers, and a restart does not double a slot', async () => {
    const { id } = await service.create(scheduled('every second', '* * * * * *'));
    await service.activate(id);
    let workers: EngineWorker[] = [await worker(), await worker()];
    try {
      await until(async () => (await runsOf(id)).length >= 3, 15_000);
      // Restart one of the two workers mid-schedule.
      await workers[0]?.stop();
      workers = [workers[1] as EngineWorker, await worker()];
      const before = (await runsOf(id)).length;
      await until(async () => (await runsOf(id)).length >= before + 2, 15_000);
    } finally {
      await service.deactivate(id);
      await Promise.all(workers.map((w) => w.stop()));
    }
    const runs = await runsOf(id);
    const slots = runs.map((run) => run.slot);
    expect(new Set(slots).size).toBe(slots.length);
    for (const slot of slots) expect(new Date(slot).getUTCMilliseconds()).toBe(0);
    // Deactivated: no tick job is left.
    const jobs = await db.sql`select 1 from graphile_worker._private_jobs where key = ${scheduleJobKey(id)}`;
    expect(jobs).toHaveLength(0);
  }, 40_000);

  it('a tick job that runs twice for the same slot (redelivery) creates one run', async () => {
    const { id } = await service.create(scheduled('redelivered', '0 9 * * *'));
    await service.activate(id);
    const slot = '2031-01-01T09:00:00.000Z';
    await Promise.all([
      runScheduleJob(db.sql, { workflowId: id, slot }),
      runScheduleJob(db.sql, { workflowId: id, slot }),
      runScheduleJob(db.sql, { workflowId: id, slot }),
    ]);
    const runs = (await runsOf(id)).filter((run) => run.slot === slot);
    expect(runs).toHaveLength(1);
    await service.deactivate(id);
  });

  it('after downtime over many slots: one run for the missed period, then the next future slot (no catch-up)', async () => {
    const { id } = await service.create(scheduled('every minute', '* * * * *'));
    await service.activate(id);
    // The workers were down for ten minutes: the pending tick is for a slot ten minutes ago.
    const missed = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    await db.sql`
      update graphile_worker._private_jobs set run_at = ${missed},
        payload = ${db.sql.json({ workflowId: id, slot: missed.toISOString() })}
      where key = ${scheduleJobKey(id)}`;
    const restarted = await worker();
    try {
      await until(async () => (await runsOf(id)).length >= 1, 15_000);
      await until(async () => {
        const [job] = await db.sql`
          select run_at from graphile_worker._private_jobs where key = ${scheduleJobKey(id)} and run_at > now()`;
        return Boolean(job);
      }, 10_000);
    } finally {
      await service.deactivate(id);
      await restarted.stop();
    }
    const runs = await runsOf(id);
    // One run for the overdue slot; none of the other nine missed minutes was run.
    const duringDowntime = runs.filter((run) => new Date(run.slot).getTime() < Date.now() - 60_000);
    expect(duringDowntime.map((run) => run.slot)).toEqual([missed.toISOString()]);
    expect(runs.length).toBeLessThanOrEqual(2);
  }, 40_000);
});
