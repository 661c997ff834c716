import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, listAudit, type Principal, toPrincipal, verifyAuditChain } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { cancelRun, decideApproval, retryRun, startRun } from './engine/engine.ts';
import type { EngineWorker } from './engine/worker.ts';
import { createEngineServices, type EngineServices } from './services.ts';
import { getRunView, waitForRun, watchRun } from './store/run-store.ts';
import { rotateHookSecret } from './triggers/webhook-secrets.ts';

// Every change and decision made through the runtime's services is an audit entry naming the person (or
// 'system'), committed with the change; no-ops and refused changes leave none.

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let alice: Principal;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 2).toString('base64') }, connectors: [] },
  );
  alice = toPrincipal(await createUser(db.sql, { name: 'alice', role: 'builder' }), 'slack', 'slack:T1:U1');
  worker = await engine.startWorker({ concurrency: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await db.drop();
});

const doc = (value: string, nodes?: unknown[], edges: unknown[] = []) => ({
  schemaVersion: 1,
  name: 'audited',
  trigger: { type: 'manual' },
  nodes: nodes ?? [{ id: 'a', uses: 'core.transform', with: { value } }],
  edges,
});

const actionsOf = async (subjectType: string, subjectId: string) =>
  (await listAudit(db.sql, { subjectType, subjectId })).entries.map((entry) => entry.action).reverse();

describe('audit entries from the runtime', () => {
  it('workflow create, update (with hashes), no-op update, refused update, activate, deactivate, delete', async () => {
    const by = { principal: alice };
    const created = await engine.workflows.create(doc('one'), undefined, { by });
    const same = await engine.workflows.addVersion(created.id, doc('one'), by);
    expect(same.changed).toBe(false);
    await expect(engine.workflows.addVersion(created.id, { nope: true }, by)).rejects.toMatchObject({
      code: 'E_INVALID_WORKFLOW',
    });
    const updated = await engine.workflows.addVersion(created.id, doc('two'), by);
    await engine.workflows.activate(created.id, by);
    await rotateHookSecret(db.sql, created.id, { graceSeconds: 0, by });
    await engine.workflows.deactivate(created.id);
    await engine.workflows.remove(created.id, by);
    expect(await actionsOf('workflow', created.id)).toEqual([
      'workflow.created',
      'workflow.updated',
      'workflow.activated',
      'hook_secret.rotated',
      'workflow.deactivated',
      'workflow.deleted',
    ]);
    const { entries } = await listAudit(db.sql, { subjectId: created.id, action: 'workflow.updated' });
    expect(entries[0]).toMatchObject({
      actor: 'alice',
      actorId: alice.userId,
      identity: 'slack:T1:U1',
      via: 'slack',
      beforeHash: created.contentHash,
      afterHash: updated.contentHash,
      details: { version: 2 },
    });
    const [deactivated] = (await listAudit(db.sql, { subjectId: created.id, action: 'workflow.deactivated' }))
      .entries;
    expect(deactivated).toMatchObject({ actor: 'system', actorId: null, via: 'system' });
  });

  it('runs started, cancelled and retried by a person, and core.approval decisions', async () => {
    const by = { principal: alice };
    const waiting = await engine.workflows.create(
      doc(
        'x',
        [
          { id: 'ask', uses: 'core.approval', with: { message: 'Ship it?' } },
          { id: 'yes', uses: 'core.transform', with: { value: 'shipped' } },
        ],
        [{ from: 'ask', to: 'yes', branch: 'approved' }],
      ),
    );
    const first = await startRun(db.sql, waiting.id, {}, { by });
    await watchRun(db.sql, first.runId, {
      read: () => getRunView(db.sql, first.runId),
      until: (view) => view.status === 'waiting',
      timeoutMs: 15_000,
      pollMs: 200,
    });
    const [approval] = await db.sql`select id from approvals where run_id = ${first.runId}`;
    await decideApproval(db.sql, String(approval?.id), { decision: 'approve' }, alice);
    expect((await waitForRun(db.sql, first.runId, { timeoutMs: 15_000 })).status).toBe('succeeded');
    const [decided] = (await listAudit(db.sql, { subjectType: 'approval' })).entries;
    expect(decided).toMatchObject({
      action: 'approval.approved',
      actor: 'alice',
      details: { runId: first.runId, nodeId: 'ask' },
    });

    const second = await startRun(db.sql, waiting.id, {}, { by });
    // Cancelled while it waits on the approval (no step in flight).
    await watchRun(db.sql, second.runId, {
      read: () => getRunView(db.sql, second.runId),
      until: (view) => view.status === 'waiting',
      timeoutMs: 15_000,
      pollMs: 200,
    });
    await cancelRun(db.sql, second.runId, by);
    await cancelRun(db.sql, second.runId, by);
    expect(await actionsOf('run', second.runId)).toEqual(['run.started', 'run.cancelled']);

    const failing = await engine.workflows.create(
      doc('x', [{ id: 'boom', uses: 'core.code', with: { code: 'throw new Error("no")' } }]),
    );
    const third = await startRun(db.sql, failing.id, {});
    expect((await waitForRun(db.sql, third.runId, { timeoutMs: 15_000 })).status).toBe('failed');
    await retryRun(db.sql, third.runId, { by });
    expect(await actionsOf('run', third.runId)).toEqual(['run.retried']);
    expect(await verifyAuditChain(db.sql)).toMatchObject({ ok: true });
  });
});
