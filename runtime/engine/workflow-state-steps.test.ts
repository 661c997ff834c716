import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeAction, stateConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/index.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { createWorkflowState } from '../store/workflow-state.ts';
import { startRun } from './engine.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import type { EngineWorker } from './worker.ts';

// state.* through a real worker on a real Postgres: parallel runs, retried steps, dedupe across runs.

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 12 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') }, connectors: [stateConnector] },
  );
  worker = await engine.startWorker({ concurrency: 8 });
});

afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

type Node = { id: string; uses: string; with: Record<string, unknown> };

async function createWorkflow(name: string, nodes: Node[]): Promise<string> {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes,
    edges: nodes.slice(1).map((node, at) => ({ from: nodes[at]!.id, to: node.id })),
  });
  return id;
}

async function runAll(workflowId: string, inputs: unknown[]) {
  const started = await Promise.all(inputs.map((input) => startRun(db.sql, workflowId, input)));
  return Promise.all(started.map(({ runId }) => waitForRun(db.sql, runId, { timeoutMs: 60_000 })));
}

const outputOf = (view: { steps: { id: string; output: unknown }[] }, id: string) =>
  view.steps.find((step) => step.id === id)?.output as Record<string, unknown> | undefined;

describe('state.* in workflow runs', () => {
  it('set, get, compare-and-set and delete across runs of one workflow; another workflow sees none of it', async () => {
    const id = await createWorkflow('kv', [
      { id: 'read', uses: 'state.get', with: { key: 'cursor', default: 'start' } },
      {
        id: 'write',
        uses: 'state.set',
        with: {
          key: 'cursor',
          value: '{{ trigger.next }}',
          expectedVersion: '{{ steps.read.output.version }}',
        },
      },
    ]);
    const [first] = await runAll(id, [{ next: 'page-2' }]);
    expect(first?.status).toBe('succeeded');
    expect(outputOf(first!, 'read')).toEqual({ found: false, value: 'start', version: 0 });
    expect(outputOf(first!, 'write')).toEqual({ version: 1, previous: null });
    const [second] = await runAll(id, [{ next: 'page-3' }]);
    expect(outputOf(second!, 'read')).toEqual({ found: true, value: 'page-2', version: 1 });
    expect(outputOf(second!, 'write')).toEqual({ version: 2, previous: 'page-2' });

    const stale = await createWorkflow('stale', [
      { id: 'write', uses: 'state.set', with: { key: 'k', value: 1, expectedVersion: 5 } },
    ]);
    const [conflict] = await runAll(stale, [{}]);
    expect(conflict?.status).toBe('failed');
    expect(conflict?.steps[0]?.error).toMatchObject({ code: 'E_STATE_CONFLICT', retryable: false });

    const other = await createWorkflow('other', [{ id: 'read', uses: 'state.get', with: { key: 'cursor' } }]);
    const [foreign] = await runAll(other, [{}]);
    expect(outputOf(foreign!, 'read')).toEqual({ found: false, value: null, version: 0 });

    const remover = await createWorkflow('remove', [
      { id: 'set', uses: 'state.set', with: { key: 'gone', value: { a: 1 } } },
      { id: 'cas', uses: 'state.set', with: { key: 'gone', value: { a: 2 }, expectedValue: { a: 1 } } },
      { id: 'del', uses: 'state.delete', with: { key: 'gone' } },
      { id: 'again', uses: 'state.get', with: { key: 'gone' } },
    ]);
    const [removed] = await runAll(remover, [{}]);
    expect(removed?.status).toBe('succeeded');
    expect(outputOf(removed!, 'cas')).toEqual({ version: 2, previous: { a: 1 } });
    expect(outputOf(removed!, 'del')).toEqual({ deleted: true });
    expect(outputOf(removed!, 'again')).toMatchObject({ found: false });
  });

  it('concurrent increments from 24 parallel runs give the exact total', async () => {
    const id = await createWorkflow('counter', [
      { id: 'count', uses: 'state.increment', with: { key: 'hits', by: '{{ trigger.by }}' } },
    ]);
    const views = await runAll(
      id,
      Array.from({ length: 24 }, (_, at) => ({ by: at + 1 })),
    );
    expect(views.every((view) => view.status === 'succeeded')).toBe(true);
    const [row] =
      await db.sql`select value, version from workflow_state where workflow_id = ${id} and key = 'hits'`;
    expect(Number(row?.value)).toBe((24 * 25) / 2);
    expect(Number(row?.version)).toBe(24);
    // Every run saw its own new value: the 24 outputs are distinct.
    expect(new Set(views.map((view) => outputOf(view, 'count')?.version)).size).toBe(24);
  });

  it('a retried step (same idempotency key) does not apply its write again and gets the first result', async () => {
    const id = await createWorkflow('retry', [
      { id: 'count', uses: 'state.increment', with: { key: 'n', by: 5 } },
    ]);
    const [view] = await runAll(id, [{}]);
    expect(outputOf(view!, 'count')).toEqual({ value: 5, version: 1 });
    const action = stateConnector.actions.find((candidate) => candidate.key === 'increment')!;
    const retry = () =>
      invokeAction({
        connector: stateConnector,
        action,
        input: { key: 'n', by: 5 },
        credential: undefined,
        env: {
          baseUrls: {},
          fetch,
          logger: createLogger({ level: 'silent' }),
          workflowState: createWorkflowState(db.sql, id),
        },
        signal: new AbortController().signal,
        attempt: 2,
        idempotencyKey: idempotencyKeyFor(view!.runId, 'count', ''),
        node: { id: 'count', runId: view!.runId },
        logger: createLogger({ level: 'silent' }),
      });
    // Two attempts at once (a worker that lost its claim and the one that took over) and one later.
    const again = await Promise.all([retry(), retry()]);
    expect(again).toEqual([
      { value: 5, version: 1 },
      { value: 5, version: 1 },
    ]);
    expect(await retry()).toEqual({ value: 5, version: 1 });
    const [row] = await db.sql`select value from workflow_state where workflow_id = ${id} and key = 'n'`;
    expect(Number(row?.value)).toBe(5);
    // A new run is a new step: it adds again.
    const [next] = await runAll(id, [{}]);
    expect(outputOf(next!, 'count')).toEqual({ value: 10, version: 2 });
  });

  it('state.increment on a non-number fails with E_STATE_NOT_NUMBER', async () => {
    const id = await createWorkflow('nan', [
      { id: 'set', uses: 'state.set', with: { key: 'x', value: 'text' } },
      { id: 'count', uses: 'state.increment', with: { key: 'x' } },
    ]);
    const [view] = await runAll(id, [{}]);
    expect(view?.status).toBe('failed');
    expect(view?.steps.find((step) => step.id === 'count')?.error).toMatchObject({
      code: 'E_STATE_NOT_NUMBER',
    });
  });

  it('dedupe across runs emits each key once, also when runs with overlapping items run in parallel', async () => {
    const id = await createWorkflow('dedupe', [
      { id: 'fresh', uses: 'state.dedupe', with: { items: '{{ trigger.items }}', key: 'id' } },
    ]);
    const [first] = await runAll(id, [{ items: [{ id: 'a' }, { id: 'b' }, { id: 'a', dup: true }] }]);
    expect(outputOf(first!, 'fresh')).toEqual({
      items: [{ id: 'a' }, { id: 'b' }],
      duplicates: 1,
      keys: ['a', 'b'],
    });
    const [second] = await runAll(id, [{ items: [{ id: 'b' }, { id: 'c' }] }]);
    expect(outputOf(second!, 'fresh')).toEqual({ items: [{ id: 'c' }], duplicates: 1, keys: ['c'] });

    // 12 parallel runs, each with 20 of the keys 0..39 (overlapping windows, in different orders).
    const inputs = Array.from({ length: 12 }, (_, run) => {
      const keys = Array.from({ length: 20 }, (_, at) => (run * 3 + at) % 40);
      return { items: (run % 2 ? keys.reverse() : keys).map((key) => ({ id: `k${key}` })) };
    });
    const views = await runAll(id, inputs);
    expect(views.every((view) => view.status === 'succeeded')).toBe(true);
    const emitted = views.flatMap((view) => outputOf(view, 'fresh')?.keys as string[]);
    expect(emitted.length).toBe(new Set(emitted).size);
    expect(new Set(emitted)).toEqual(new Set(Array.from({ length: 40 }, (_, at) => `k${at}`)));
  });
});

describe('the state write ledger', () => {
  it("prunes a workflow's records older than 30 days on its next write, and keeps recent ones", async () => {
    const id = await createWorkflow('ledger', [{ id: 'count', uses: 'state.increment', with: { key: 'n' } }]);
    const state = createWorkflowState(db.sql, id);
    await state.apply('old-step', { op: 'increment', key: 'n', by: 1 });
    await state.apply('recent-step', { op: 'increment', key: 'n', by: 1 });
    await db.sql`update workflow_state_ops set created_at = now() - interval '31 days'
      where workflow_id = ${id} and idempotency_key = 'old-step'`;
    await state.apply('new-step', { op: 'increment', key: 'n', by: 1 });
    const keys =
      await db.sql`select idempotency_key from workflow_state_ops where workflow_id = ${id} order by 1`;
    expect(keys.map((row) => row.idempotencyKey)).toEqual(['new-step', 'recent-step']);
    // A repeat of a recent step still answers its first result.
    expect(await state.apply('recent-step', { op: 'increment', key: 'n', by: 1 })).toEqual({
      op: 'increment',
      value: 2,
      version: 2,
    });
  });
});
