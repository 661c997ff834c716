import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { WorkflowDocument } from '../../runtime/index.ts';
import { createWorkflowService } from '../../runtime/store/workflow-service.ts';
import { triggerSync } from '../../runtime/triggers/trigger-kinds.ts';
import { cliEnv, runCli } from '../testing/cli-process.ts';

// Everything after "Approve", from a shell: each command is a real `vmesh` process on a real database.

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url });
});
afterAll(async () => {
  await db.drop();
});

const service = () =>
  createWorkflowService(db.sql, builtinConnectors, { onTriggerChange: triggerSync(builtinConnectors) });

const documentOf = (name: string, code: string): WorkflowDocument =>
  ({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: [
      { id: 'double', uses: 'core.transform', with: { value: '{{ trigger.n * 2 }}' } },
      { id: 'check', uses: 'core.code', with: { code, input: '{{ steps.double.output }}' } },
    ],
    edges: [{ from: 'double', to: 'check' }],
  }) as unknown as WorkflowDocument;

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe('vmesh workflows activate|deactivate|rollback|delete (real CLI processes)', () => {
  it('pauses and resumes a schedule workflow, rolls back to an earlier version and deletes only when told to', async () => {
    const workflows = service();
    const scheduled = {
      ...documentOf('nightly', 'return input'),
      trigger: { type: 'schedule', cron: '0 3 * * *' },
    } as unknown as WorkflowDocument;
    const { id } = await workflows.create(scheduled, {}, { activate: true });
    await workflows.addVersion(id, { ...scheduled, name: 'nightly v2' } as WorkflowDocument, {});

    const paused = await runCli(['workflows', 'deactivate', id, '--json'], { env });
    expect(paused.code, paused.stderr).toBe(0);
    expect(json(paused.stdout)).toMatchObject({ id, active: false, version: 2 });
    const resumed = await runCli(['workflows', 'activate', id], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`(${id}) is active`);
    expect((await db.sql`select active from workflows where id = ${id}`)[0]?.active).toBe(true);

    const rolled = await runCli(['workflows', 'rollback', id, '--json'], { env });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(json(rolled.stdout)).toMatchObject({ id, from: 2, to: 1, version: 3, changed: true });
    const [current] = await db.sql`
      select v.document->>'name' as name from workflows w
      join workflow_versions v on v.workflow_id = w.id and v.version = w.current_version where w.id = ${id}`;
    expect(current?.name).toBe('nightly');
    const same = await runCli(['workflows', 'rollback', id, '--to', '3'], { env });
    expect(same.code).not.toBe(0);
    expect(same.stderr).toContain('already the current version');

    const refused = await runCli(['workflows', 'delete', id], { env, stdin: null });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('pass --yes');
    expect(await db.sql`select id from workflows where id = ${id} and deleted_at is null`).toHaveLength(1);
    const deleted = await runCli(['workflows', 'delete', id, '--yes'], { env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`Deleted workflow "nightly" (${id})`);
    expect(await db.sql`select id from workflows where id = ${id} and deleted_at is null`).toHaveLength(0);
    const gone = await runCli(['workflows', 'get', id], { env });
    expect(gone.code).not.toBe(0);

    const actions = await db.sql`
      select action, actor, via from audit_log where subject_id = ${id} and via = 'cli' order by id`;
    expect(actions.map((row) => row.action)).toEqual(
      expect.arrayContaining(['workflow.deactivated', 'workflow.activated', 'workflow.deleted']),
    );
    const missing = await runCli(['workflows', 'activate', 'wf_nope'], { env });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('wf_nope');
  }, 120_000);
});

describe('vmesh run --workflow, runs retry and runs cancel (real CLI processes)', () => {
  it('runs a stored workflow, retries its failed run on the fixed version, and cancels a waiting run', async () => {
    const workflows = service();
    const { id } = await workflows.create(
      documentOf('doubler', 'if (input > 5) throw new Error("too big"); return input'),
      {},
    );
    const failed = await runCli(
      ['run', '--workflow', id, '--input', '{"n":4}', '--wait', '--json', '--timeout', '60000'],
      { env },
    );
    expect(failed.code).toBe(1);
    const failedRun = json(failed.stdout);
    expect(failedRun).toMatchObject({ status: 'failed', workflowId: id });

    await workflows.addVersion(id, documentOf('doubler', 'return input + 1'), {});
    const retried = await runCli(['runs', 'retry', String(failedRun.runId), '--latest', '--json'], { env });
    expect(retried.code, retried.stderr).toBe(0);
    expect(json(retried.stdout)).toEqual({ runId: failedRun.runId, version: 2 });
    const again = await runCli(['runs', 'retry', String(failedRun.runId)], { env });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('only a failed run can be retried');

    const both = await runCli(['run', 'doc.json', '--workflow', id], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('one of them');

    const waiting = await workflows.create(
      {
        schemaVersion: 1,
        name: 'waits',
        trigger: { type: 'manual' },
        nodes: [{ id: 'signed', uses: 'core.wait', with: {} }],
        edges: [],
      } as unknown as WorkflowDocument,
      {},
    );
    const queued = await runCli(['run', '--workflow', waiting.id, '--json'], { env });
    expect(queued.code, queued.stderr).toBe(0);
    const queuedRun = json(queued.stdout);
    const cancelled = await runCli(['runs', 'cancel', String(queuedRun.runId), '--json'], { env });
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(json(cancelled.stdout)).toEqual({ runId: queuedRun.runId, status: 'cancelled' });
  }, 120_000);
});
