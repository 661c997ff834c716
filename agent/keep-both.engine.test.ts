import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import type { WorkflowDocument } from '../runtime/index.ts';
import { loadHistoryEntries } from './conversation-history.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import type { ProposalReply, Reply } from './reply.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

// Superseding made explicit, and the conversation's history: the real conversation service and tools on a real
// Postgres, the OpenAI SDK against the scripted model.

let db: TestDatabase;
let model: ScriptedModelServer;
let service: ConversationService;
let ada: Principal;

const documentOf = (name: string) =>
  ({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: [{ id: 'shape', uses: 'core.transform', with: { value: { name } } }],
    edges: [],
  }) as unknown as WorkflowDocument;

/** One turn in which the model proposes each document in turn (several: a revision within one answer). */
async function propose(threadKey: string, who: Principal, ...names: string[]): Promise<ProposalReply[]> {
  model.setScript([
    ...names.map((name) => ({
      toolCalls: [
        { name: 'propose_workflow', input: { document: documentOf(name), summary: `Make ${name}.` } },
      ],
    })),
    { text: 'Approve it to save it.' },
  ]);
  const replies = await service.handleMessage({
    threadKey,
    principal: who,
    text: `make ${names.join(', ')}`,
  });
  return replies.filter((reply): reply is ProposalReply => reply.type === 'proposal');
}

const statusOf = async (id: string) => (await service.getProposal(id))?.status;

beforeAll(async () => {
  db = await createTestDatabase();
  model = await startScriptedModelServer();
  const provider = createOpenAIProvider({
    model: 'gpt-test',
    apiKey: 'sk-test-key',
    baseURL: model.openaiBaseUrl,
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
  });
  service = createConversationService({
    sql: db.sql,
    provider,
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: [] }),
  });
  ada = await testPrincipal(db.sql, 'ada', 'owner');
}, 60_000);
afterAll(async () => {
  await model?.close();
  await db?.drop();
});

describe('a second request that replaces an open proposal', () => {
  it('says which proposal it replaces, and "keep both" really keeps the first one open', async () => {
    const [first] = await propose('web:keepboththread1', ada, 'First one');
    expect(first?.proposal.replaces ?? []).toEqual([]);
    const [second] = await propose('web:keepboththread1', ada, 'Second one');
    if (!first || !second) throw new Error('both turns should propose');
    expect(await statusOf(first.proposal.id)).toBe('superseded');
    expect(second.proposal.replaces).toEqual([first.proposal.id]);
    expect(second.summary).toContain(`This replaces proposal ${first.proposal.id}`);

    // Deciding the replaced one is refused, and says why.
    const refused = await service.decide({
      proposalId: first.proposal.id,
      decision: 'approve',
      principal: ada,
    });
    expect(refused[0]).toMatchObject({ type: 'error', code: 'E_ALREADY_DECIDED' });

    const kept = await service.keepBoth(second.proposal.id, ada);
    expect(kept[0]).toMatchObject({ type: 'text' });
    expect(kept.some((reply) => reply.type === 'proposal' && reply.proposal.id === first.proposal.id)).toBe(
      true,
    );
    expect(await statusOf(first.proposal.id)).toBe('pending');
    expect(await statusOf(second.proposal.id)).toBe('pending');
    expect((await service.getProposal(second.proposal.id))?.replaces).toEqual([]);
    // Keeping both twice has nothing left to reopen.
    expect((await service.keepBoth(second.proposal.id, ada))[0]).toMatchObject({ code: 'E_NOTHING_TO_KEEP' });

    // Both are real proposals now: approving each makes its own workflow.
    const approvedFirst = await service.decide({
      proposalId: first.proposal.id,
      decision: 'approve',
      principal: ada,
    });
    const approvedSecond = await service.decide({
      proposalId: second.proposal.id,
      decision: 'approve',
      principal: ada,
    });
    expect(approvedFirst[0]).toMatchObject({ type: 'text' });
    expect(approvedSecond[0]).toMatchObject({ type: 'text' });
    const names = await db.sql`select name from workflows order by name`;
    expect(names.map((row) => row.name)).toEqual(expect.arrayContaining(['First one', 'Second one']));
  }, 60_000);

  it('a revision within one answer is not named as replaced, and others may not keep both', async () => {
    const shown = await propose('web:keepboththread2', ada, 'Draft', 'Revised');
    expect(shown).toHaveLength(1);
    expect(shown[0]?.proposal.replaces ?? []).toEqual([]);

    const [third] = await propose('web:keepboththread2', ada, 'Third');
    if (!third || !shown[0]) throw new Error('the turns should propose');
    expect(third.proposal.replaces).toEqual([shown[0].proposal.id]);
    const viewer = await testPrincipal(db.sql, 'vic', 'viewer');
    const refused = await service.keepBoth(third.proposal.id, viewer);
    expect(refused[0]).toMatchObject({ type: 'error', code: 'E_FORBIDDEN' });
    expect(await statusOf(shown[0].proposal.id)).toBe('superseded');
  }, 60_000);
});

describe('the conversation history', () => {
  it('returns what was said and shown, with proposals as they stand now, to its participants only', async () => {
    const [proposal] = await propose('web:historythread1', ada, 'Remembered');
    if (!proposal) throw new Error('the turn should propose');
    await service.decide({ proposalId: proposal.proposal.id, decision: 'reject', principal: ada });
    const history = await service.historyFor('web:historythread1', ada, { settleMs: 0 });
    if (!history) throw new Error('ada took part');
    const said = history.entries.map((entry) => entry.said).filter(Boolean);
    expect(said).toEqual(['make Remembered']);
    const replies: Reply[] = history.entries.flatMap((entry) => entry.replies);
    const card = replies.find((reply) => reply.type === 'proposal');
    expect(card).toMatchObject({ proposal: { id: proposal.proposal.id, status: 'rejected' } });
    expect(replies.some((reply) => reply.type === 'text' && reply.text.startsWith('Rejected proposal'))).toBe(
      true,
    );
    // A cursor continues after what was read; nothing new since.
    const after = await service.historyFor('web:historythread1', ada, {
      afterId: history.cursor,
      settleMs: 0,
    });
    expect(after?.entries).toEqual([]);
    // Opened without a cursor, a long conversation starts at its latest messages.
    const [thread] = await db.sql`select id from conversations where thread_key = 'web:historythread1'`;
    const newest = await loadHistoryEntries(db.sql, String(thread?.id), { limit: 1, settleMs: 0 });
    expect(newest.entries.map((entry) => entry.replies[0])).toEqual([
      expect.objectContaining({ type: 'text', text: expect.stringContaining('Rejected proposal') }),
    ]);
    expect(newest.cursor).toBe(history.cursor);
    // Someone else gets nothing, and the thread is theirs to refuse.
    const bob = await testPrincipal(db.sql, 'bob', 'builder');
    expect(await service.historyFor('web:historythread1', bob, { settleMs: 0 })).toBeUndefined();
    expect(await service.threadAccess('web:historythread1', bob)).toBe('other');
    expect(await service.threadAccess('web:historythread1', ada)).toBe('mine');
    expect(await service.threadAccess('web:neverusedthread', bob)).toBe('new');
  }, 60_000);

  it('holds back messages younger than the settle time (a later commit of an earlier id is not passed over)', async () => {
    await propose('web:historythread2', ada, 'Fresh');
    const held = await service.historyFor('web:historythread2', ada, { settleMs: 60_000 });
    expect(held).toEqual({ entries: [], cursor: 0 });
  }, 60_000);
});
