import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { startRun, type WorkflowDocument } from '../runtime/index.ts';
import { createEngineServices, type EngineServices } from '../runtime/services.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

// "How is the invoice workflow doing?" in a chat: the real OpenAI SDK against a scripted model that calls
// workflow_insights, the real conversation service and tools, and runs the real engine worker ran.

let db: TestDatabase;
let server: ScriptedModelServer;
let service: ConversationService;
let engine: EngineServices;
let worker: Awaited<ReturnType<EngineServices['startWorker']>>;
let invoiceId = '';

const invoice = {
  schemaVersion: 1,
  name: 'Invoice',
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'total',
      uses: 'core.code',
      retry: { maxAttempts: 1 },
      with: {
        code: 'if (input < 0) throw new Error("negative total"); return input * 2',
        input: '{{ trigger.n }}',
      },
    },
  ],
  edges: [],
} as unknown as WorkflowDocument;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startScriptedModelServer();
  const ports = createRuntimePorts({ sql: db.sql, connectors: [] });
  const provider = createOpenAIProvider({
    model: 'gpt-test',
    apiKey: 'sk-test-key',
    baseURL: server.openaiBaseUrl,
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  });
  service = createConversationService({ sql: db.sql, provider, system: loadSystemPrompt(), ...ports });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') }, connectors: [] },
  );
  worker = await engine.startWorker({ concurrency: 2 });
  ({ id: invoiceId } = await engine.workflows.create(invoice, undefined, {}));
  for (const n of [1, 2, -1]) {
    const { runId } = await startRun(db.sql, invoiceId, { n }, { triggerType: 'manual' });
    await waitForRun(db.sql, runId, { timeoutMs: 60_000 });
  }
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await db?.drop();
});

/** One chat turn in which the model calls workflow_insights with `input`; what the tool answered. */
async function ask(text: string, input: Record<string, unknown>, who: { name: string; role: Role }) {
  let answered = { content: '', isError: false };
  server.setScript([
    { toolCalls: [{ name: 'workflow_insights', input }] },
    (request) => {
      const result = request.toolResults[0];
      if (result)
        answered = {
          content: result.content,
          isError: result.isError || result.content.startsWith('ERROR:'),
        };
      return { text: 'Here is how it is doing.' };
    },
  ]);
  await service.handleMessage({
    threadKey: `test:insights:${who.name}`,
    principal: await testPrincipal(db.sql, who.name, who.role),
    text,
  });
  return answered;
}

type ToolAnswer = {
  workflow?: { id: string; name: { untrusted: boolean; data: unknown } };
  overall: {
    runs: number;
    failed: number;
    failureRate: number;
    failingSteps: { nodeId: string; failures: number; lastErrorCode: string }[];
    compute: { sandboxCpuMs: number };
  };
  conversations: { conversationId: string; turns: number; llm: { calls: number; unpricedCalls: number } }[];
};

describe('workflow_insights in a chat', () => {
  it('answers "how is the invoice workflow doing?" with its runs, failure rate, failing step and compute', async () => {
    const answer = await ask(
      'how is the invoice workflow doing?',
      { workflow: 'invoice' },
      { name: 'ada', role: 'owner' },
    );
    expect(answer.isError, answer.content).toBe(false);
    const report = JSON.parse(answer.content) as ToolAnswer;
    expect(report.workflow).toMatchObject({ id: invoiceId, name: { untrusted: true, data: 'Invoice' } });
    expect(report.overall).toMatchObject({ runs: 3, failed: 1 });
    expect(report.overall.failureRate).toBeCloseTo(1 / 3, 6);
    expect(report.overall.failingSteps).toEqual([
      expect.objectContaining({ nodeId: 'total', failures: 1, lastErrorCode: 'E_CODE_ERROR' }),
    ]);
    expect(report.overall.compute.sandboxCpuMs).toBeGreaterThan(0);
    // The model saw it as the tool's result of this turn.
    const toolMessage = server.requests.at(-1)?.normalized.toolResults[0];
    expect(toolMessage?.content).toContain('"failureRate"');
  });

  it('gives the builder agent’s use per conversation, only to the people in it, and names unknown workflows', async () => {
    const overall = await ask('what did the assistant cost this week?', {}, { name: 'ada', role: 'owner' });
    const report = JSON.parse(overall.content) as ToolAnswer;
    const [conversation] = report.conversations;
    // The first turn's model call (gpt-test has no price: its calls count, its cost is unknown).
    expect(conversation?.turns).toBeGreaterThanOrEqual(1);
    expect(conversation?.llm.unpricedCalls).toBe(conversation?.llm.calls);

    const viewer = await ask('how are things?', {}, { name: 'vic', role: 'viewer' });
    const seen = JSON.parse(viewer.content) as ToolAnswer;
    expect(seen.conversations.map((entry) => entry.conversationId)).not.toContain(
      conversation?.conversationId,
    );

    const missing = await ask(
      'how is payroll doing?',
      { workflow: 'payroll' },
      { name: 'ada', role: 'owner' },
    );
    expect(missing.isError).toBe(true);
    expect(missing.content).toContain('E_NOT_FOUND');
    expect(missing.content).toMatch(/No workflow you may see has the id or name \\?"payroll/);
  });
});
