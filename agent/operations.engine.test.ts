import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import type { WorkflowDocument } from '../runtime/index.ts';
import { createEngineServices, type EngineServices } from '../runtime/services.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import type { Reply } from './reply.ts';
import { createRuntimePorts, type RuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

// Everything after "Approve", said in a chat: the real OpenAI SDK against a scripted model, the real conversation
// service and tools, and the real engine worker running what the tools start.

let db: TestDatabase;
let server: ScriptedModelServer;
let ports: RuntimePorts;
let service: ConversationService;
let engine: EngineServices;
let worker: Awaited<ReturnType<EngineServices['startWorker']>>;

const documentOf = (name: string, code: string, trigger: Record<string, unknown> = { type: 'manual' }) =>
  ({
    schemaVersion: 1,
    name,
    trigger,
    nodes: [{ id: 'check', uses: 'core.code', with: { code, input: '{{ trigger.n }}' } }],
    edges: [],
  }) as unknown as WorkflowDocument;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startScriptedModelServer();
  ports = createRuntimePorts({ sql: db.sql, connectors: [] });
  const provider = createOpenAIProvider({
    model: 'gpt-test',
    apiKey: 'sk-test-key',
    baseURL: server.openaiBaseUrl,
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  });
  service = createConversationService({ sql: db.sql, provider, system: loadSystemPrompt(), ...ports });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, connectors: [] },
  );
  worker = await engine.startWorker({ concurrency: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await db?.drop();
});

/** One chat turn in which the model calls `name` with `input`; returns the replies and what the tool answered. */
async function say(
  text: string,
  name: string,
  input: Record<string, unknown>,
  who: { name: string; role: Role } = { name: 'ada', role: 'owner' },
) {
  let toolResult = { content: '', isError: false };
  server.setScript([
    { toolCalls: [{ name, input }] },
    (request) => {
      const answered = request.toolResults[0];
      // The OpenAI wire format has no error flag: a failed tool's content starts with "ERROR:".
      if (answered)
        toolResult = {
          content: answered.content,
          isError: answered.isError || answered.content.startsWith('ERROR:'),
        };
      return { text: 'Done.' };
    },
  ]);
  const replies = await service.handleMessage({
    threadKey: 'test:operations',
    principal: await testPrincipal(db.sql, who.name, who.role),
    text,
  });
  return {
    replies,
    result: toolResult,
    answer: parsed(toolResult),
  };
}

function parsed(result: { content: string; isError: boolean }): Record<string, unknown> {
  if (result.isError) return { error: result.content };
  return JSON.parse(result.content) as Record<string, unknown>;
}

const proposalOf = (replies: Reply[]) =>
  replies.flatMap((reply) => (reply.type === 'proposal' ? [reply.proposal] : []))[0];

const approve = async (proposalId: string) =>
  service.decide({ proposalId, decision: 'approve', principal: await testPrincipal(db.sql, 'ada', 'owner') });

const activeOf = async (id: string) =>
  (await db.sql`select active from workflows where id = ${id}`)[0]?.active;

describe('operating workflows from the chat', () => {
  it('runs now, retries a failed run after a fix, and cancels a waiting run — at once, as the person asked', async () => {
    const { id } = await engine.workflows.create(
      documentOf('doubler', 'if (input > 5) throw new Error("too big"); return input * 2'),
      undefined,
      {},
    );
    const ran = await say('run the doubler with n=3', 'run_workflow', { workflowId: id, input: { n: 3 } });
    expect(ran.result.isError, ran.result.content).toBe(false);
    const first = await waitForRun(db.sql, String(ran.answer.runId), { timeoutMs: 30_000 });
    expect(first).toMatchObject({ status: 'succeeded', output: 6 });

    const failing = await say('run it with n=9', 'run_workflow', { workflowId: id, input: { n: 9 } });
    const failed = await waitForRun(db.sql, String(failing.answer.runId), { timeoutMs: 30_000 });
    expect(failed.status).toBe('failed');
    await engine.workflows.addVersion(id, documentOf('doubler', 'return input * 2'), {});
    const retried = await say('retry that run', 'retry_run', { runId: failed.runId });
    expect(retried.answer).toMatchObject({ runId: failed.runId, mode: 'from-failed-step' });
    const fixed = await waitForRun(db.sql, failed.runId, { timeoutMs: 30_000 });
    expect(fixed).toMatchObject({ status: 'succeeded', version: 2, output: 18 });

    const waits = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'waits',
        trigger: { type: 'manual' },
        nodes: [{ id: 'w', uses: 'core.wait', with: {} }],
        edges: [],
      } as unknown as WorkflowDocument,
      undefined,
      {},
    );
    const started = await say('start the waits workflow', 'run_workflow', { workflowId: waits.id });
    const cancelled = await say('cancel it', 'cancel_run', { runId: started.answer.runId });
    expect(cancelled.answer).toEqual({ runId: started.answer.runId, status: 'cancelled' });
    const audit =
      await db.sql`select action, actor, via from audit_log where action in ('run.started', 'run.cancelled') order by id`;
    expect(audit.map((row) => row.action)).toContain('run.cancelled');
  });

  it('pauses at once; resuming, rolling back and deleting are proposals that change nothing until approved', async () => {
    const { id } = await engine.workflows.create(
      documentOf('nightly', 'return 1', { type: 'schedule', cron: '0 3 * * *' }),
      undefined,
      { activate: true },
    );
    await engine.workflows.addVersion(
      id,
      documentOf('nightly', 'return 2', { type: 'schedule', cron: '0 3 * * *' }),
      {},
    );

    const paused = await say('pause the nightly workflow', 'pause_workflow', { workflowId: id });
    expect(paused.answer).toEqual({ workflowId: id, workflow: 'nightly', active: false });
    expect(await activeOf(id)).toBe(false);

    const resume = await say('turn it back on', 'resume_workflow', { workflowId: id });
    const resumeProposal = proposalOf(resume.replies);
    expect(resumeProposal).toMatchObject({
      kind: 'activate',
      status: 'pending',
      workflowId: id,
      document: null,
    });
    expect(await activeOf(id)).toBe(false);
    const resumed = await approve(resumeProposal!.id);
    expect(resumed[0]).toMatchObject({ type: 'text', text: expect.stringContaining('is active again') });
    expect(await activeOf(id)).toBe(true);

    const rollback = await say('undo the last change', 'rollback_workflow', {
      workflowId: id,
      summary: 'Back to v1.',
    });
    const rollbackProposal = proposalOf(rollback.replies);
    expect(rollbackProposal).toMatchObject({ kind: 'change', baseVersion: 2 });
    expect(rollbackProposal?.diff).toEqual([
      { op: 'replace', path: '/nodes/0/with/code', value: 'return 1' },
    ]);
    expect((await db.sql`select current_version from workflows where id = ${id}`)[0]?.currentVersion).toBe(2);
    await approve(rollbackProposal!.id);
    const [current] = await db.sql`
      select v.version, v.document->'nodes'->0->'with'->>'code' as code from workflows w
      join workflow_versions v on v.workflow_id = w.id and v.version = w.current_version where w.id = ${id}`;
    expect(current).toMatchObject({ version: 3, code: 'return 1' });
    const tooFar = await say('go back to version 7', 'rollback_workflow', {
      workflowId: id,
      toVersion: 7,
      summary: 'x',
    });
    expect(tooFar.result.isError).toBe(true);
    expect(tooFar.result.content).toContain('no earlier version 7');

    const remove = await say('delete the nightly workflow', 'delete_workflow', { workflowId: id });
    const deleteProposal = proposalOf(remove.replies);
    expect(deleteProposal).toMatchObject({ kind: 'delete', status: 'pending' });
    expect(
      remove.replies.some(
        (reply) => reply.type === 'proposal' && reply.summary.includes('Delete workflow "nightly"'),
      ),
    ).toBe(true);
    expect(await db.sql`select id from workflows where id = ${id} and deleted_at is null`).toHaveLength(1);
    await approve(deleteProposal!.id);
    expect(await db.sql`select id from workflows where id = ${id} and deleted_at is null`).toHaveLength(0);
  });

  it('a viewer may not run, pause or cancel; a builder may not touch a private workflow of someone else', async () => {
    const { id } = await engine.workflows.create(documentOf('private', 'return 1'), undefined, {
      activate: true,
    });
    const viewer = await say('run it', 'run_workflow', { workflowId: id }, { name: 'vic', role: 'viewer' });
    expect(viewer.result.isError).toBe(true);
    const pausedByViewer = await say(
      'pause it',
      'pause_workflow',
      { workflowId: id },
      { name: 'vic', role: 'viewer' },
    );
    expect(pausedByViewer.result.isError).toBe(true);
    expect(await activeOf(id)).toBe(true);
    expect(await db.sql`select id from runs where workflow_id = ${id}`).toHaveLength(0);

    const ada = await testPrincipal(db.sql, 'ada', 'owner');
    const own = await engine.workflows.create(
      documentOf('adas own', 'return 1'),
      { ownerRef: 'ada', ownerId: ada.userId, scope: 'private' },
      { activate: true },
    );
    const bo = { name: 'bo', role: 'builder' as const };
    const notHis = await say('pause it', 'pause_workflow', { workflowId: own.id }, bo);
    expect(notHis.result).toMatchObject({ isError: true, content: expect.stringContaining('E_NOT_FOUND') });
    const runHers = await say('run it', 'run_workflow', { workflowId: own.id }, bo);
    expect(runHers.result.isError).toBe(true);
    expect(await activeOf(own.id)).toBe(true);
    expect(await db.sql`select id from runs where workflow_id = ${own.id}`).toHaveLength(0);
  });
});
