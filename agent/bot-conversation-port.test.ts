import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalOwner, linkIdentity } from '../access/index.ts';
import type { ConversationPort } from '../bots/conversation-port.ts';
import { slackConnector } from '../connectors/slack/connector.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { toBotConversationPort } from './bot-conversation-port.ts';
import { createConversationService } from './conversation-service.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

describe('the service as the bots ConversationPort', () => {
  let db: TestDatabase;
  let server: ScriptedModelServer;
  let port: ConversationPort;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startScriptedModelServer();
    const service = createConversationService({
      sql: db.sql,
      provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: server.openaiBaseUrl }),
      system: loadSystemPrompt(),
      ...createRuntimePorts({ sql: db.sql, connectors: [slackConnector] }),
    });
    port = toBotConversationPort(service); // type-checks against bots/conversation-port.ts
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  it('maps replies and events, keeps credentials and approvers by platform actor id', async () => {
    const document = {
      schemaVersion: 1,
      name: 'Hello',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'post',
          uses: 'slack.postMessage',
          credential: 'slack',
          with: { channel: '#general', text: 'hi' },
        },
      ],
      edges: [],
    };
    server.setScript([
      { toolCalls: [{ name: 'propose_workflow', input: { document, summary: 'Says hi.' } }] },
      { text: 'Proposed.' },
    ]);
    const events: string[] = [];
    const actor = { platform: 'slack' as const, id: 'T1:U2' };
    await linkIdentity(db.sql, (await ensureLocalOwner(db.sql, 'cli')).userId, 'slack', 'T1:U2');
    const replies = await port.handleMessage({ threadKey: 'slack:T1:C1:1', actor, text: 'say hi' }, (e) =>
      events.push(e.type),
    );
    expect(replies[0]).toEqual({ type: 'text', text: 'Proposed.' });
    const proposal = replies[1];
    if (proposal?.type !== 'proposal') throw new Error('expected a proposal');
    expect(proposal).toMatchObject({
      type: 'proposal',
      title: 'Hello',
      proposal: { document: { name: 'Hello' } },
    });
    expect(proposal.summary).toContain('vmesh credentials set slack --type slack');
    expect(proposal.summary).toContain(
      "⚠ New step that writes outside: post (slack.postMessage) writes to the Slack channel '#general'",
    );
    expect(proposal.summary).toContain(
      '⚠ Sends data out: post (slack.postMessage, write) → channel=#general',
    );
    expect(proposal.summary).toContain('Uses credential "slack" (not stored yet)');
    expect(proposal.summary).toContain('Waiting for approval by: owner or a workspace admin or owner.');
    expect(events).toEqual(expect.arrayContaining(['text_delta', 'tool_start', 'tool_end', 'proposal']));

    const stranger = await port.decide({
      proposalId: proposal.proposal.id,
      decision: 'approve',
      actor: { platform: 'slack', id: 'T1:U9' },
    });
    expect(stranger[0]).toMatchObject({ type: 'error', code: 'E_NO_ACCESS' });
    const decided = await port.decide({ proposalId: proposal.proposal.id, decision: 'approve', actor });
    expect(decided[0]).toMatchObject({ type: 'text' });
  });

  it('a stranger reaches neither the model nor the chat trigger', async () => {
    const started: unknown[] = [];
    const gated = toBotConversationPort(
      createConversationService({
        sql: db.sql,
        provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: server.openaiBaseUrl }),
        system: loadSystemPrompt(),
        ...createRuntimePorts({ sql: db.sql, connectors: [slackConnector] }),
        chatTrigger: async (message) => {
          started.push(message);
          return { runIds: [] };
        },
      }),
    );
    const requests = server.requests.length;
    const replies = await gated.handleMessage({
      threadKey: 'slack:T1:C1:2',
      actor: { platform: 'slack', id: 'T1:UNKNOWN' },
      text: 'run everything',
    });
    expect(replies).toEqual([expect.objectContaining({ type: 'error', code: 'E_NO_ACCESS' })]);
    expect(started).toEqual([]);
    expect(server.requests.length).toBe(requests);
    expect(await db.sql`select 1 from conversations where thread_key = 'slack:T1:C1:2'`).toHaveLength(0);
  });
});
