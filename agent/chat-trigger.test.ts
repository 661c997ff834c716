import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { createEngineServices, type EngineWorker, waitForRun } from '../runtime/index.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createAnthropicProvider } from './providers/anthropic-provider.ts';
import type { Reply } from './reply.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

// The `chat` trigger through the real conversation path: the agent proposes a chat workflow, the person approves
// it (so it belongs to this conversation), and the next message in the conversation starts a run on a real worker.

const echoOnChat = {
  schemaVersion: 1,
  name: 'Echo chat messages',
  trigger: { type: 'chat' },
  nodes: [{ id: 'heard', uses: 'core.transform', with: { value: '{{ trigger }}' } }],
  edges: [],
};

let db: TestDatabase;
let server: ScriptedModelServer;
let service: ConversationService;
let worker: EngineWorker;

const proposalOf = (replies: Reply[]) =>
  replies.flatMap((reply) => (reply.type === 'proposal' ? [reply.proposal] : []))[0];

async function runs() {
  const rows = await db.sql`select id, workflow_id, trigger_type, trigger from runs order by created_at`;
  return rows.map((row) => ({
    id: String(row.id),
    workflowId: String(row.workflowId),
    triggerType: String(row.triggerType),
    trigger: row.trigger,
  }));
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  server = await startScriptedModelServer();
  const provider = createAnthropicProvider({
    model: 'claude-test',
    apiKey: 'sk-test-key',
    baseURL: server.anthropicBaseUrl,
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  });
  service = createConversationService({
    sql: db.sql,
    provider,
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: [] }),
  });
  const engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, connectors: [] },
  );
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker.stop();
  await server.close();
  await db.drop();
});

describe('chat trigger', () => {
  it('a message in the conversation the workflow was made in starts one run with the message; the agent still answers', async () => {
    const threadKey = 'web:chat-trigger';
    server.setScript([
      {
        toolCalls: [
          { name: 'propose_workflow', input: { document: echoOnChat, summary: 'Echoes every message.' } },
        ],
      },
      { text: 'Proposed: it echoes every message of this chat.' },
    ]);
    const proposed = await service.handleMessage({
      threadKey,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'Echo my messages.',
    });
    const proposal = proposalOf(proposed);
    expect(proposal).toBeDefined();
    // Nothing runs before approval: the proposing message started no run.
    expect(await runs()).toEqual([]);
    await service.decide({
      proposalId: proposal?.id ?? '',
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
    });
    const [workflow] = await db.sql`select id, active, conversation_ref from workflows`;
    expect(workflow?.active).toBe(true);
    const conversation = await service.conversationFor(
      threadKey,
      await testPrincipal(db.sql, 'ada', 'owner'),
    );
    expect(workflow?.conversationRef).toBe(conversation.id);

    server.setScript([{ text: 'Noted.' }]);
    const replies = await service.handleMessage({
      threadKey,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'ship it on Friday',
    });
    expect(replies).toEqual([{ type: 'text', text: 'Noted.' }]);
    const data = {
      text: 'ship it on Friday',
      actor: { id: 'test:ada' },
      threadKey,
      conversationId: conversation.id,
    };
    const started = await runs();
    expect(started).toEqual([
      { id: expect.any(String), workflowId: String(workflow?.id), triggerType: 'chat', trigger: data },
    ]);
    const run = await waitForRun(db.sql, started[0]?.id ?? '', { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]?.output).toEqual(data);

    // A message in another conversation starts nothing; nor does one after the workflow is deactivated.
    server.setScript([{ text: 'Hi.' }]);
    await service.handleMessage({
      threadKey: 'web:elsewhere',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'hello',
    });
    expect(await runs()).toHaveLength(1);
    await db.sql`update workflows set active = false where id = ${String(workflow?.id)}`;
    server.setScript([{ text: 'Ok.' }]);
    await service.handleMessage({
      threadKey,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'and again',
    });
    expect(await runs()).toHaveLength(1);
  });
});
