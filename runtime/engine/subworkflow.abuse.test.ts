// core.subworkflow abuse: a squatter taking a workflow's name, a target from run data, another owner's workflow,
// an inactive one, and workflows that run themselves. Runs go through the worker's step task (runStepJob).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from '../../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { contentHash } from '../store/content-hash.ts';
import { MAX_SUBWORKFLOW_DEPTH } from '../store/may-subworkflow-run.ts';
import { getRunView, type RunView } from '../store/run-store.ts';
import { invalidateWorkflow } from '../store/workflow-cache.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { getVersionRow } from '../store/workflow-store.ts';
import { triggerSync } from '../triggers/trigger-kinds.ts';
import { startRun } from './engine.ts';
import type { NodeRunnerDeps } from './node-runner.ts';
import { runStepJob } from './step-task.ts';
import { StepJobPayload } from './tasks.ts';

let db: TestDatabase;
let service: WorkflowService;
let deps: NodeRunnerDeps;

async function drain(limit = 500): Promise<void> {
  for (let i = 0; i < limit; i++) {
    const [job] = await db.sql`
      delete from graphile_worker._private_jobs where id = (
        select j.id from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
        where t.identifier = 'vmesh_step' and j.run_at <= now() order by j.run_at, j.id limit 1)
      returning key, payload`;
    if (!job) return;
    await runStepJob(
      deps,
      StepJobPayload.parse(job.payload),
      job.key as string | null,
      new AbortController().signal,
    );
  }
  throw new Error('queue did not drain');
}

const doc = (name: string, nodes: unknown[]) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes,
  edges: [],
});
const childDoc = (name: string, value: unknown) =>
  doc(name, [{ id: 'c', uses: 'core.transform', with: { value } }]);
const callerDoc = (name: string, target: string) =>
  doc(name, [
    { id: 'sub', uses: 'core.subworkflow', with: { workflow: target, input: { order: 'parent data' } } },
  ]);

async function runToEnd(workflowId: string): Promise<RunView> {
  const { runId } = await startRun(db.sql, workflowId, {});
  await drain();
  return getRunView(db.sql, runId);
}

async function childRunsOf(runId: string): Promise<{ id: string; workflowId: string }[]> {
  const rows = await db.sql`select id, workflow_id from runs where parent_run_id = ${runId}`;
  return rows.map((row) => ({ id: String(row.id), workflowId: String(row.workflowId) }));
}

/** A version written straight into the table, as documents stored before targets were pinned were. */
async function storeUnpinnedVersion(workflowId: string, document: unknown): Promise<void> {
  const [row] = await db.sql`select current_version from workflows where id = ${workflowId}`;
  const version = Number(row?.currentVersion) + 1;
  await db.sql`
    insert into workflow_versions (workflow_id, version, document, content_hash)
    values (${workflowId}, ${version}, ${json(db.sql, document)}, ${contentHash(document as never)})`;
  await db.sql`update workflows set current_version = ${version} where id = ${workflowId}`;
  invalidateWorkflow(workflowId);
}

const stepError = (run: RunView, id: string) => run.steps.find((step) => step.id === id)?.error;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  service = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
  deps = {
    sql: db.sql,
    connectors: [],
    connectorEnv: { baseUrls: {}, fetch, logger: createLogger({ level: 'silent' }) },
    logger: createLogger({ level: 'silent' }),
  };
});
afterAll(async () => {
  await db?.drop();
});

describe('core.subworkflow targets', () => {
  it('a workflow created later under the same name does not receive the parent input', async () => {
    const alice = { ownerRef: 'user:alice' };
    const billing = await service.create(childDoc('billing', 'real'), alice, { activate: true });
    const parent = await service.create(callerDoc('invoice', 'billing'), alice, { activate: true });
    expect((await getVersionRow(db.sql, parent.id, 1)).document.nodes[0]?.with.workflow).toBe(billing.id);
    // The squatters: another owner, and even the same owner, take the name afterwards (newest updated).
    await service.create(childDoc('billing', 'squatter'), { ownerRef: 'user:mallory' }, { activate: true });
    await service.create(childDoc('billing', 'newer'), alice, { activate: true });
    const run = await runToEnd(parent.id);
    expect(run.status).toBe('succeeded');
    expect(run.output).toBe('real');
    expect((await childRunsOf(run.runId)).map((child) => child.workflowId)).toEqual([billing.id]);
  });

  it('a name held by another owner is not resolved to their workflow; an ambiguous one is refused', async () => {
    await service.create(childDoc('only-bob', 1), { ownerRef: 'user:bob' }, { activate: true });
    const foreign = await service
      .create(callerDoc('p1', 'only-bob'), { ownerRef: 'user:carol' })
      .catch((error: unknown) => error);
    expect(foreign).toMatchObject({ code: 'E_SUBWORKFLOW_TARGET', details: { problem: 'forbidden' } });
    await service.create(childDoc('twice', 1), { ownerRef: 'user:dan' });
    await service.create(childDoc('twice', 2), { ownerRef: 'user:dan' });
    const ambiguous = await service
      .create(callerDoc('p2', 'twice'), { ownerRef: 'user:dan' })
      .catch((error: unknown) => error);
    expect(ambiguous).toMatchObject({ code: 'E_SUBWORKFLOW_TARGET', details: { problem: 'ambiguous' } });
  });

  it('refuses a target computed from run data (validator, E_SUBWORKFLOW_TARGET)', async () => {
    const failure = await service
      .create(callerDoc('p3', '{{ trigger.body.workflow }}'))
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'E_INVALID_WORKFLOW',
      details: {
        errors: [expect.objectContaining({ code: 'E_SUBWORKFLOW_TARGET', path: '/nodes/0/with/workflow' })],
      },
    });
  });

  it('an inactive target fails the step with a non-retryable E_SUBWORKFLOW_INACTIVE', async () => {
    const child = await service.create(childDoc('sleeping', 1));
    const parent = await service.create(callerDoc('wakes it', child.id), {}, { activate: true });
    const run = await runToEnd(parent.id);
    expect(run.status).toBe('failed');
    expect(stepError(run, 'sub')).toMatchObject({ code: 'E_SUBWORKFLOW_INACTIVE', retryable: false });
    expect(await childRunsOf(run.runId)).toEqual([]);
  });

  it("another owner's workflow named in an unpinned version fails with E_SUBWORKFLOW_FORBIDDEN", async () => {
    const theirs = await service.create(childDoc('theirs', 1), { ownerRef: 'user:erin' }, { activate: true });
    const mine = await service.create(childDoc('mine', 0), { ownerRef: 'user:frank' }, { activate: true });
    await storeUnpinnedVersion(mine.id, callerDoc('mine', theirs.id));
    const run = await runToEnd(mine.id);
    expect(stepError(run, 'sub')).toMatchObject({ code: 'E_SUBWORKFLOW_FORBIDDEN', retryable: false });
    expect(await childRunsOf(run.runId)).toEqual([]);
  });
});

describe('core.subworkflow cycles', () => {
  it('refuses A → A and A → B → A when the version is saved (E_SUBWORKFLOW_CYCLE)', async () => {
    const a = await service.create(childDoc('cycle-a', 1), {}, { activate: true });
    const self = await service.addVersion(a.id, callerDoc('cycle-a', a.id)).catch((error: unknown) => error);
    expect(self).toMatchObject({ code: 'E_SUBWORKFLOW_CYCLE', details: { cycle: [a.id, a.id] } });
    const b = await service.create(callerDoc('cycle-b', 'cycle-a'), {}, { activate: true });
    const back = await service.addVersion(a.id, callerDoc('cycle-a', b.id)).catch((error: unknown) => error);
    expect(back).toMatchObject({ code: 'E_SUBWORKFLOW_CYCLE', details: { cycle: [a.id, b.id, a.id] } });
    const byName = await service
      .addVersion(a.id, callerDoc('cycle-a', 'cycle-b'))
      .catch((error: unknown) => error);
    expect(byName).toMatchObject({ code: 'E_SUBWORKFLOW_CYCLE' });
  });

  it(`a workflow that runs itself anyway stops ${MAX_SUBWORKFLOW_DEPTH} sub-runs deep (E_SUBWORKFLOW_DEPTH)`, async () => {
    const loop = await service.create(childDoc('loop', 1), {}, { activate: true });
    await storeUnpinnedVersion(loop.id, callerDoc('loop', loop.id));
    const run = await runToEnd(loop.id);
    expect(run.status).toBe('failed');
    const [row] = await db.sql`
      with recursive chain (id, depth) as (
        select id, 0 from runs where id = ${run.runId}
        union all select r.id, c.depth + 1 from runs r join chain c on r.parent_run_id = c.id)
      select max(depth)::int as depth, count(*)::int as runs from chain`;
    expect(row).toMatchObject({ depth: MAX_SUBWORKFLOW_DEPTH, runs: MAX_SUBWORKFLOW_DEPTH + 1 });
    const [deepest] = await db.sql`
      with recursive chain (id, depth) as (
        select id, 0 from runs where id = ${run.runId}
        union all select r.id, c.depth + 1 from runs r join chain c on r.parent_run_id = c.id)
      select id from chain order by depth desc limit 1`;
    const last = await getRunView(db.sql, String(deepest?.id));
    expect(stepError(last, 'sub')).toMatchObject({ code: 'E_SUBWORKFLOW_DEPTH', retryable: false });
  });
});
