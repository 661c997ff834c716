import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalOwner } from '../../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { getRunView, type RunView } from '../store/run-store.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { triggerSync } from '../triggers/trigger-kinds.ts';
import { cancelRun, decideApproval, retryRun, startRun } from './engine.ts';
import type { NodeRunnerDeps } from './node-runner.ts';
import { runStepJob } from './step-task.ts';
import { StepJobPayload } from './tasks.ts';

let db: TestDatabase;
let service: WorkflowService;
let deps: NodeRunnerDeps;

/** Drains the queue in this process: runs every due job like a worker would, until none is left. */
async function drain(limit = 500): Promise<number> {
  for (let i = 0; i < limit; i++) {
    const [job] = await db.sql`
      update graphile_worker._private_jobs j set locked_at = now(), locked_by = 'test', attempts = attempts + 1
      where j.id = (select id from graphile_worker._private_jobs where locked_at is null and run_at <= now()
        and attempts < max_attempts order by run_at, id limit 1 for update skip locked)
      returning j.id, j.key, j.payload, (select identifier from graphile_worker._private_tasks t where t.id = j.task_id) as task`;
    if (!job) return i;
    if (job.task === 'vmesh_step') {
      await runStepJob(
        deps,
        StepJobPayload.parse(job.payload),
        job.key as string | null,
        new AbortController().signal,
      );
    }
    await db.sql`delete from graphile_worker._private_jobs where id = ${job.id as string}`;
  }
  throw new Error('queue did not drain');
}

async function runToEnd(document: unknown, input: unknown = {}): Promise<RunView> {
  const { id } = await service.create(document);
  const { runId } = await startRun(db.sql, id, input);
  await drain();
  return getRunView(db.sql, runId);
}

const doc = (nodes: unknown[], edges: unknown[] = []) => ({
  schemaVersion: 1,
  name: 'test',
  trigger: { type: 'manual' },
  nodes,
  edges,
});

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
  await db.drop();
});

describe('engine', () => {
  it('runs a linear chain and passes outputs along', async () => {
    const run = await runToEnd(
      doc(
        [
          { id: 'a', uses: 'core.transform', with: { value: '{{ trigger.n + 1 }}' } },
          { id: 'b', uses: 'core.transform', with: { value: '{{ steps.a.output * 10 }}' } },
          { id: 'c', uses: 'core.code', with: { code: 'return input + 1', input: '{{ steps.b.output }}' } },
        ],
        [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'c' },
        ],
      ),
      { n: 1 },
    );
    expect(run.status).toBe('succeeded');
    expect(run.output).toBe(21);
    expect(run.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
    ]);
  });

  it('runs the pure branches of a fan-out and their join in the job of the step before them', async () => {
    const fanout = (width: number) =>
      doc(
        [
          { id: 'start', uses: 'core.transform', with: { value: 1 } },
          ...Array.from({ length: width }, (_, i) => ({
            id: `b${i}`,
            uses: 'core.transform',
            with: { value: `{{ steps.start.output + ${i} }}` },
          })),
          { id: 'join', uses: 'core.merge', with: {} },
        ],
        Array.from({ length: width }, (_, i) => [
          { from: 'start', to: `b${i}` },
          { from: `b${i}`, to: 'join' },
        ]).flat(),
      );
    for (const [width, oneJob] of [
      [40, true],
      [150, false],
    ] as const) {
      const { id } = await service.create(fanout(width));
      const { runId } = await startRun(db.sql, id, {});
      const jobs = await drain();
      const view = await getRunView(db.sql, runId);
      expect(view.status).toBe('succeeded');
      const [counts] = await db.sql`
        select count(*) filter (where status = 'succeeded')::int as ok, count(*)::int as all,
          max(output::text) filter (where node_id = 'b7') as b7
        from steps where run_id = ${runId}`;
      expect(counts).toEqual({ ok: width + 2, all: width + 2, b7: '8' });
      // Past the per-commit bound the remaining branches are queued as jobs; the join still starts once.
      if (oneJob) expect(jobs).toBe(1);
      else expect(jobs).toBeGreaterThan(1);
    }
  });

  it('takes one branch of core.if, skips the other, and merges', async () => {
    const run = await runToEnd(
      doc(
        [
          { id: 'check', uses: 'core.if', with: { condition: '{{ trigger.n > 5 }}' } },
          { id: 'big', uses: 'core.transform', with: { value: 'big' } },
          { id: 'small', uses: 'core.transform', with: { value: 'small' } },
          { id: 'afterSmall', uses: 'core.transform', with: { value: 'x' } },
          { id: 'join', uses: 'core.merge', with: {} },
        ],
        [
          { from: 'check', to: 'big', branch: 'true' },
          { from: 'check', to: 'small', branch: 'false' },
          { from: 'small', to: 'afterSmall' },
          { from: 'big', to: 'join' },
          { from: 'afterSmall', to: 'join' },
        ],
      ),
      { n: 9 },
    );
    expect(run.status).toBe('succeeded');
    const status = Object.fromEntries(run.steps.map((s) => [s.id, s.status]));
    expect(status).toEqual({
      check: 'succeeded',
      big: 'succeeded',
      small: 'skipped',
      afterSmall: 'skipped',
      join: 'succeeded',
    });
    expect(run.output).toEqual({ big: 'big' });
  });

  it('runs foreach bodies with a concurrency cap and keeps item order', async () => {
    const run = await runToEnd(
      doc([
        {
          id: 'loop',
          uses: 'core.foreach',
          with: { items: '{{ trigger.items }}', concurrency: 2 },
          do: {
            nodes: [
              { id: 'double', uses: 'core.transform', with: { value: '{{ item * 2 }}' } },
              {
                id: 'label',
                uses: 'core.transform',
                with: { value: '{{ index & ":" & steps.double.output }}' },
              },
            ],
            edges: [{ from: 'double', to: 'label' }],
          },
        },
      ]),
      { items: [3, 1, 2, 5, 4] },
    );
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual(['0:6', '1:2', '2:4', '3:10', '4:8']);
  });

  it('fails the run with run.failed (step, input, error) and resumes it on retry', async () => {
    const { id } = await service.create(
      doc(
        [
          { id: 'a', uses: 'core.transform', with: { value: 1 } },
          {
            id: 'boom',
            uses: 'core.code',
            with: { code: 'if (!input.ok) throw new Error("nope"); return "fixed"', input: { ok: false } },
          },
        ],
        [{ from: 'a', to: 'boom' }],
      ),
    );
    const { runId } = await startRun(db.sql, id, {});
    await drain();
    const failed = await getRunView(db.sql, runId);
    expect(failed.status).toBe('failed');
    const [event] =
      await db.sql`select payload from run_events where run_id = ${runId} and type = 'run.failed'`;
    expect(event?.payload).toMatchObject({
      stepId: 'boom',
      input: { input: { ok: false } },
      error: { code: 'E_CODE_ERROR' },
    });
    const v2 = await service.addVersion(
      id,
      doc(
        [
          { id: 'a', uses: 'core.transform', with: { value: 1 } },
          { id: 'boom', uses: 'core.code', with: { code: 'return "fixed"', input: { ok: true } } },
        ],
        [{ from: 'a', to: 'boom' }],
      ),
    );
    await retryRun(db.sql, runId, { version: v2.version });
    await drain();
    const retried = await getRunView(db.sql, runId);
    expect(retried.status).toBe('succeeded');
    expect(retried.output).toBe('fixed');
  });

  it('routes errors, continues on error, and stops infinite loops in core.code', async () => {
    const run = await runToEnd(
      doc(
        [
          { id: 'spin', uses: 'core.code', with: { code: 'while (true) {}' }, onError: 'route' },
          { id: 'handled', uses: 'core.transform', with: { value: 'handled' } },
          { id: 'normal', uses: 'core.transform', with: { value: 'normal' } },
        ],
        [
          { from: 'spin', to: 'handled', branch: 'error' },
          { from: 'spin', to: 'normal' },
        ],
      ),
    );
    expect(run.status).toBe('succeeded');
    const spin = run.steps.find((s) => s.id === 'spin');
    expect(spin?.status).toBe('failed');
    expect(JSON.stringify(spin?.error)).toContain('limit');
    expect(run.output).toBe('handled');
  });

  it('waits on core.approval and resumes on the decision', async () => {
    const { id } = await service.create(
      doc(
        [
          { id: 'ask', uses: 'core.approval', with: { message: 'Ship it?' } },
          { id: 'yes', uses: 'core.transform', with: { value: 'shipped' } },
          { id: 'no', uses: 'core.transform', with: { value: 'held' } },
        ],
        [
          { from: 'ask', to: 'yes', branch: 'approved' },
          { from: 'ask', to: 'no', branch: 'rejected' },
        ],
      ),
    );
    const { runId } = await startRun(db.sql, id, {});
    await drain();
    expect((await getRunView(db.sql, runId)).status).toBe('waiting');
    const [approval] = await db.sql`select id from approvals where run_id = ${runId}`;
    await decideApproval(
      db.sql,
      String(approval?.id),
      { decision: 'approve' },
      await ensureLocalOwner(db.sql, 'system'),
    );
    await drain();
    const done = await getRunView(db.sql, runId);
    expect(done.status).toBe('succeeded');
    expect(done.output).toBe('shipped');
  });

  it('runs a subworkflow and uses its output', async () => {
    const child = await service.create(
      {
        ...doc([{ id: 'c', uses: 'core.transform', with: { value: '{{ trigger.x * 3 }}' } }]),
        name: 'child wf',
      },
      {},
      { activate: true },
    );
    const run = await runToEnd(
      doc(
        [
          { id: 'sub', uses: 'core.subworkflow', with: { workflow: child.id, input: { x: 7 } } },
          { id: 'after', uses: 'core.transform', with: { value: '{{ steps.sub.output + 1 }}' } },
        ],
        [{ from: 'sub', to: 'after' }],
      ),
    );
    expect(run.status).toBe('succeeded');
    expect(run.output).toBe(22);
  });

  it('two workers running the same queued pure step at once record it once (claimless compare-and-set)', async () => {
    const { id } = await service.create(
      doc(
        [
          { id: 'a', uses: 'core.transform', with: { value: '{{ trigger.n * 2 }}' } },
          { id: 'b', uses: 'core.code', with: { code: 'return input + 1', input: '{{ steps.a.output }}' } },
        ],
        [{ from: 'a', to: 'b' }],
      ),
    );
    const runIds: string[] = [];
    for (let n = 0; n < 30; n++) runIds.push((await startRun(db.sql, id, { n })).runId);
    const jobs = await db.sql`
      select key, payload from graphile_worker._private_jobs where payload->>'runId' = any(${runIds})`;
    expect(jobs).toHaveLength(30);
    await Promise.all(
      jobs.flatMap((job) => {
        const payload = StepJobPayload.parse(job.payload);
        expect(payload.v).toBe(1); // the version hint that lets the step be read instead of claimed
        return [1, 2].map(() =>
          runStepJob(deps, payload, job.key as string | null, new AbortController().signal),
        );
      }),
    );
    // A core.code step that found both sandbox processes busy was queued as a job of its own: run those too.
    for (;;) {
      const left = await db.sql`
        delete from graphile_worker._private_jobs where payload->>'runId' = any(${runIds}) returning key, payload`;
      if (left.length === 0) break;
      await Promise.all(
        left.map((job) =>
          runStepJob(
            deps,
            StepJobPayload.parse(job.payload),
            job.key as string | null,
            new AbortController().signal,
          ),
        ),
      );
    }
    const counts = await db.sql`
      select r.id, r.status, r.output, r.started_at is not null as started,
        (select count(*)::int from run_events e where e.run_id = r.id and e.type = 'step.succeeded') as succeeded,
        (select count(*)::int from run_events e where e.run_id = r.id and e.type = 'run.succeeded') as finished,
        (select fence from steps s where s.run_id = r.id and s.node_id = 'a') as fence
      from runs r where r.id = any(${runIds})`;
    for (const row of counts) {
      const n = runIds.indexOf(String(row.id));
      expect(row).toMatchObject({
        status: 'succeeded',
        output: n * 2 + 1,
        started: true,
        succeeded: 2,
        finished: 1,
      });
      expect(Number(row.fence)).toBe(1);
    }
  });

  it('core.respond runs in the same job as the pure chain before it, and its response commits before what follows', async () => {
    const run = await runToEnd(
      doc(
        [
          { id: 'shape', uses: 'core.transform', with: { value: { got: '{{ trigger.n }}' } } },
          { id: 'reply', uses: 'core.respond', with: { status: 201, body: '{{ steps.shape.output }}' } },
          { id: 'after', uses: 'core.transform', with: { value: '{{ steps.shape.output.got + 1 }}' } },
        ],
        [
          { from: 'shape', to: 'reply' },
          { from: 'reply', to: 'after' },
        ],
      ),
      { n: 4 },
    );
    expect(run.status).toBe('succeeded');
    const [row] = await db.sql`select response from runs where id = ${run.runId}`;
    expect(row?.response).toEqual({ status: 201, body: { got: 4 } });
    // xmin: the transaction that wrote each step row's current version.
    const steps = await db.sql`select node_id, xmin::text as tx from steps where run_id = ${run.runId}`;
    const writtenBy = new Map(steps.map((step) => [String(step.nodeId), String(step.tx)]));
    expect(writtenBy.size).toBe(3);
    // One job and one commit for the chain up to the response; what follows commits after it.
    expect(writtenBy.get('reply')).toBe(writtenBy.get('shape'));
    expect(writtenBy.get('after')).not.toBe(writtenBy.get('reply'));
  });

  it('dedupe keys: concurrent starts share a statement, one run per key, repeats and contention return that run', async () => {
    const { id } = await service.create(doc([{ id: 'a', uses: 'core.transform', with: { value: 1 } }]));
    const keys = Array.from({ length: 20 }, (_, i) => (i % 4 === 3 ? undefined : `delivery:k${i % 5}`));
    const started = await Promise.all(keys.map((dedupeKey) => startRun(db.sql, id, {}, { dedupeKey })));
    const byKey = new Map<string, { runId: string; duplicate: boolean }[]>();
    for (const [i, key] of keys.entries())
      if (key) byKey.set(key, [...(byKey.get(key) ?? []), started[i] as never]);
    for (const results of byKey.values()) {
      expect(new Set(results.map((result) => result.runId)).size).toBe(1);
      expect(results.filter((result) => !result.duplicate)).toHaveLength(1);
    }
    const unkeyed = started.filter((_, i) => keys[i] === undefined);
    expect(unkeyed.every((result) => !result.duplicate)).toBe(true);
    const [count] = await db.sql`select count(*)::int as n from runs where workflow_id = ${id}`;
    expect(count?.n).toBe(byKey.size + unkeyed.length);
    // The same key later: the same run. Past the window: a new one.
    const first = byKey.get('delivery:k0')?.[0]?.runId;
    expect(await startRun(db.sql, id, {}, { dedupeKey: 'delivery:k0' })).toEqual({
      runId: first,
      duplicate: true,
    });
    await db.sql`update run_dedupe set created_at = now() - interval '25 hours' where dedupe_key = 'delivery:k0'`;
    const again = await startRun(db.sql, id, {}, { dedupeKey: 'delivery:k0' });
    expect(again.duplicate).toBe(false);
    expect(again.runId).not.toBe(first);
    // A key claimed by a transaction that commits while the start waits on it: that run, not a second one.
    const other = await db.sql.reserve();
    await other`begin`;
    await other`insert into run_dedupe (workflow_id, dedupe_key, run_id) values (${id}, 'delivery:held', 'run_held')`;
    const waiting = startRun(db.sql, id, {}, { dedupeKey: 'delivery:held' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await other`commit`;
    other.release();
    expect(await waiting).toEqual({ runId: 'run_held', duplicate: true });
    await drain();
  });

  it('a duplicate job for a finished step is a no-op, and cancel stops a run', async () => {
    const { id } = await service.create(doc([{ id: 'wait', uses: 'core.delay', with: { ms: 60_000 } }]));
    const { runId } = await startRun(db.sql, id, {});
    await drain();
    expect((await getRunView(db.sql, runId)).status).toBe('running');
    await cancelRun(db.sql, runId);
    await runStepJob(deps, { runId, nodeId: 'wait', path: '' }, null, new AbortController().signal);
    const view = await getRunView(db.sql, runId);
    expect(view.status).toBe('cancelled');
    expect(view.steps[0]?.status).toBe('cancelled');
  });
});
