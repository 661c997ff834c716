import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { createConversationService } from './conversation-service.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import type { ScriptStep } from './testing/scripted-model-server.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

describe('turns: one at a time per conversation, many conversations on a small pool', () => {
  let db: TestDatabase;
  let server: ScriptedModelServer;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 2 });
    server = await startScriptedModelServer();
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  it('12 concurrent messages in 4 conversations all finish, each conversation strictly alternating', async () => {
    const step: ScriptStep = (request) =>
      request.toolResults.length === 0
        ? { toolCalls: [{ name: 'list_workflows', input: {} }] }
        : { text: `done: ${request.lastUserText}` };
    server.setScript(Array.from({ length: 24 }, () => step));
    const service = createConversationService({
      sql: db.sql,
      provider: createOpenAIProvider({ model: 'm', apiKey: 'k', baseURL: server.openaiBaseUrl }),
      system: loadSystemPrompt(),
      ...createRuntimePorts({ sql: db.sql, connectors: [] }),
    });
    const principal = await testPrincipal(db.sql, 'ada', 'owner');
    const sends = Array.from({ length: 12 }, (_, i) =>
      service.handleMessage({ threadKey: `pool:${i % 4}`, principal, text: `message ${i}` }),
    );
    const replies = await Promise.all(sends);
    expect(replies.map((r) => r[0])).toEqual(
      replies.map((_, i) => ({ type: 'text', text: `done: message ${i}` })),
    );
    const rows = await db.sql`
      select c.thread_key, m.role from conversation_messages m join conversations c on c.id = m.conversation_id order by m.id`;
    for (const thread of ['pool:0', 'pool:1', 'pool:2', 'pool:3']) {
      const roles = rows.filter((r) => r.threadKey === thread).map((r) => r.role);
      expect(roles).toEqual(
        Array.from({ length: 3 }, () => ['user', 'assistant', 'tool', 'assistant']).flat(),
      );
    }
    const [held] = await db.sql`select count(*)::int as n from conversations where turn_token is not null`;
    expect(held?.n).toBe(0);
  });
});
