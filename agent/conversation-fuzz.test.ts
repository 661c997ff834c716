import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { type ConversationService, createConversationService, EMPTY_ANSWER } from './conversation-service.ts';
import { createAnthropicProvider } from './providers/anthropic-provider.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

describe('hostile chat messages and model output', () => {
  let db: TestDatabase;
  let server: ScriptedModelServer;
  let service: ConversationService;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startScriptedModelServer();
    service = createConversationService({
      sql: db.sql,
      provider: createAnthropicProvider({ model: 'm', apiKey: 'k', baseURL: server.anthropicBaseUrl }),
      system: loadSystemPrompt(),
      ...createRuntimePorts({ sql: db.sql, connectors: [] }),
    });
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  const weird = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      '\u0000',
      '\uD800 lone',
      '\u202Eright-to-left\u202C',
      '👩‍👩‍👧‍👦',
      '__proto__',
      '{{ $eval("1") }}',
      'x'.repeat(120_000),
    ),
  );

  it('a message whose model answer is empty or only whitespace still gets a reply that says so', async () => {
    for (const [message, answer] of [
      ['   ', ' '],
      ['hi', '\n\t '],
      ['hi', ''],
    ]) {
      server.setScript([{ text: answer ?? '' }]);
      const replies = await service.handleMessage({
        threadKey: 'blank',
        principal: await testPrincipal(db.sql, 'blank', 'owner'),
        text: message ?? '',
      });
      expect(replies).toEqual([{ type: 'text', text: EMPTY_ANSWER }]);
    }
  });

  it('every message gets replies (never an exception, never an internal error), and the history stays readable', async () => {
    await fc.assert(
      fc.asyncProperty(weird, weird, async (message, modelText) => {
        server.setScript([
          { text: modelText || '.', toolCalls: [{ name: 'draft_workflow', input: { document: modelText } }] },
          { text: modelText || '.' },
        ]);
        const replies = await service.handleMessage({
          threadKey: 'fuzz',
          principal: await testPrincipal(db.sql, 'fuzz', 'owner'),
          text: message,
        });
        expect(replies.length).toBeGreaterThan(0);
        expect(replies.filter((r) => r.type === 'error')).toEqual([]);
      }),
      { numRuns: 25 },
    );
    const rows = await db.sql`select count(*)::int as n from conversation_messages`;
    expect(rows[0]?.n).toBeGreaterThan(0);
  });
});
