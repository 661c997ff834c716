import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { registerSecret } from '../../lib/redact.ts';
import { retryRun, startRun } from '../engine/engine.ts';
import type { NodeRunnerDeps } from '../engine/node-runner.ts';
import { type EngineWorker, startEngineWorker } from '../engine/worker.ts';
import { createWorkflowService, type WorkflowService } from '../store/workflow-service.ts';
import { triggerSync, triggerTasks } from './trigger-kinds.ts';
import { runWorkflowFailedJob } from './workflow-failed.ts';

let db: TestDatabase;
let service: WorkflowService;
let worker: EngineWorker;

const TOKEN = `ghp_${'A1b2C3d4E5'.repeat(4)}`;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 12 });
  service = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
  const logger = createLogger({ level: 'silent' });
  const deps: NodeRunnerDeps = {
    sql: db.sql,
    connectors: [],
    connectorEnv: { baseUrls: {}, fetch, logger },
    logger,
  };
  worker = await startEngineWorker({
    deps,
    connectionString: db.url,
    concurrency: 4,
    pollIntervalMs: 50,
    tasks: triggerTasks(deps),
  });
});
afterAll(async () => {
  await worker?.stop();
  await db.drop();
});

/** A manual workflow whose one step fails with a message that carries `trigger.token`. */
const failing = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [
    { id: 'boom', uses: 'core.transform', with: { value: '{{ $error("denied for " & trigger.token) }}' } },
  ],
  edges: [],
});

/** An error handler: records what it was given, and fails too when `fail` is set. */
const handler = (name: string, workflows: string[] | undefined, fail = false) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'workflow.failed', ...(workflows ? { with: { workflows } } : {}) },
  nodes: [
    fail
      ? { id: 'handle', uses: 'core.transform', with: { value: '{{ $error("handler broke") }}' } }
      : { id: 'handle', uses: 'core.transform', with: { value: '{{ trigger.workflow.name }}' } },
  ],
  edges: [],
});

async function create(
  document: object,
  meta: { ownerId?: string; scope?: 'private' | 'workspace' } = {},
  active = true,
): Promise<string> {
  const { id } = await service.create(document, meta);
  if (active) await service.activate(id);
  return id;
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function runsOf(workflowId: string) {
  const rows = await db.sql`
    select id, status, trigger_type, trigger from runs where workflow_id = ${workflowId} order by created_at`;
  return rows.map((row) => ({
    id: String(row.id),
    status: String(row.status),
    triggerType: String(row.triggerType),
    trigger: row.trigger as Record<string, unknown>,
  }));
}

async function statusOf(runId: string): Promise<string> {
  const [row] = await db.sql`select status from runs where id = ${runId}`;
  return String(row?.status);
}

/** True once no workflow.failed job is waiting or running (the handlers of every failure so far have started). */
async function failureJobsDone(): Promise<boolean> {
  const [row] = await db.sql`
    select count(*)::int as n from graphile_worker.jobs where task_identifier = 'vmesh_workflow_failed'`;
  return row?.n === 0;
}

async function failRunOf(workflowId: string): Promise<string> {
  const { runId } = await startRun(db.sql, workflowId, { token: TOKEN });
  await until(async () => (await statusOf(runId)) === 'failed');
  await until(failureJobsDone);
  return runId;
}

describe('workflow.failed trigger', () => {
  it('starts the error workflow once with the failure (secrets redacted); its own failure starts nothing', async () => {
    const a = await create(failing('Sync invoices'));
    const e = await create(handler('On failure', undefined, true));
    const watcher = await create(handler('Any failure', []));
    const failedRunId = await failRunOf(a);
    await until(async () => (await runsOf(e)).some((run) => run.status === 'failed'));
    await until(failureJobsDone);
    const runs = await runsOf(e);
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run?.triggerType).toBe('workflow.failed');
    expect(run?.trigger).toMatchObject({
      runId: failedRunId,
      workflow: { id: a, name: 'Sync invoices' },
      failedStep: { id: 'boom', path: '' },
      error: { code: expect.any(String), message: expect.stringContaining('denied for') },
    });
    expect(new Date(String(run?.trigger.failedAt)).getTime()).toBeGreaterThan(0);
    expect(JSON.stringify(run?.trigger)).not.toContain(TOKEN);
    expect(JSON.stringify(run?.trigger)).toContain('[REDACTED]');
    // E's own failure started neither E again nor the other handler that watches every workflow.
    expect(await runsOf(e)).toHaveLength(1);
    await until(async () => (await runsOf(watcher)).every((other) => other.status === 'succeeded'));
    expect((await runsOf(watcher)).map((other) => other.trigger.runId)).toEqual([failedRunId]);
    await service.deactivate(e);
    await service.deactivate(watcher);
  });

  it('a list that leaves the workflow out, or an inactive handler, starts no run', async () => {
    const a = await create(failing('Watched elsewhere'));
    const other = await create(failing('Another'), {}, false);
    const excluding = await create(handler('Only the other one', [other]));
    const inactive = await create(handler('Switched off', [a]), {}, false);
    await failRunOf(a);
    expect(await runsOf(excluding)).toHaveLength(0);
    expect(await runsOf(inactive)).toHaveLength(0);
    await service.deactivate(excluding);
  });

  it('a retried run that fails again starts a second run; a redelivered job never a second one', async () => {
    const a = await create(failing('Flaky'));
    const e = await create(handler('Flaky handler', [a]));
    const runId = await failRunOf(a);
    await until(async () => (await runsOf(e)).length === 1);
    const [first] = await runsOf(e);
    // The same job delivered again, twice at once: still one run for this failure.
    const payload = {
      runId,
      retries: 0,
      error: { code: 'E_X', message: 'x' },
      failedAt: new Date().toISOString(),
    };
    await Promise.all([runWorkflowFailedJob(db.sql, payload), runWorkflowFailedJob(db.sql, payload)]);
    expect(await runsOf(e)).toHaveLength(1);
    await retryRun(db.sql, runId);
    await until(async () => (await statusOf(runId)) === 'failed');
    await until(failureJobsDone);
    await until(async () => (await runsOf(e)).length === 2);
    const runs = await runsOf(e);
    expect(runs.map((run) => run.trigger.runId)).toEqual([runId, runId]);
    expect(runs[0]?.id).toBe(first?.id);
    await Promise.all([
      runWorkflowFailedJob(db.sql, { ...payload, retries: 1 }),
      runWorkflowFailedJob(db.sql, { ...payload, retries: 1 }),
    ]);
    expect(await runsOf(e)).toHaveLength(2);
    await service.deactivate(e);
  });

  it('redacts a known credential value in the handed-over error again (job payloads are not trusted to be clean)', async () => {
    const a = await create(failing('Leaky'));
    const e = await create(handler('Leak check', [a]));
    const runId = await failRunOf(a);
    await until(async () => (await runsOf(e)).length === 1);
    const credential = 'correct-horse-battery-staple-42';
    registerSecret(credential);
    await runWorkflowFailedJob(db.sql, {
      runId,
      retries: 7,
      error: {
        code: 'E_HTTP',
        message: `401 for ${credential}`,
        details: { header: `Bearer ${credential}` },
      },
      failedAt: new Date().toISOString(),
    });
    const runs = await runsOf(e);
    expect(runs).toHaveLength(2);
    expect(JSON.stringify(runs[1]?.trigger)).not.toContain(credential);
    expect(runs[1]?.trigger.error).toEqual({
      code: 'E_HTTP',
      message: '401 for [REDACTED]',
      details: { header: 'Bearer [REDACTED]' },
    });
    await service.deactivate(e);
  });

  it("matches only workflows the handler's owner may read", async () => {
    const alice = await createUser(db.sql, { name: 'alice', role: 'builder' });
    const bob = await createUser(db.sql, { name: 'bob', role: 'builder' });
    const boss = await createUser(db.sql, { name: 'boss', role: 'admin' });
    const secret = await create(failing("Alice's private one"), { ownerId: alice.id, scope: 'private' });
    const bobs = await create(handler("Bob's handler", undefined), { ownerId: bob.id, scope: 'private' });
    const alices = await create(handler("Alice's handler", [secret]), {
      ownerId: alice.id,
      scope: 'private',
    });
    const admins = await create(handler("The admin's handler", [secret]), { ownerId: boss.id });
    await failRunOf(secret);
    await until(async () => (await runsOf(alices)).length === 1 && (await runsOf(admins)).length === 1);
    expect(await runsOf(bobs)).toHaveLength(0);
    for (const id of [bobs, alices, admins]) await service.deactivate(id);
  });
});

describe('workflow.failed trigger document', () => {
  it('takes only workflow ids written out in with.workflows', async () => {
    await expect(service.create(handler('Computed list', ['{{ trigger.workflowId }}']))).rejects.toThrow(
      /workflows/,
    );
    await expect(
      service.create({
        ...handler('Not a list', undefined),
        trigger: { type: 'workflow.failed', with: { workflows: 'wf_1' } },
      }),
    ).rejects.toThrow(/workflows/);
    await expect(
      service.create({
        ...handler('Unknown field', undefined),
        trigger: { type: 'workflow.failed', with: { names: ['x'] } },
      }),
    ).rejects.toThrow(/names/);
  });
});
