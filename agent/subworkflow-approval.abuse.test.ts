// The approval card names the workflow each core.subworkflow step will run (name and id), resolved as approval
// stores it; approval then stores that id, so a workflow that takes the name afterwards is never run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { createWorkflowService } from '../runtime/store/workflow-service.ts';
import { getVersionRow } from '../runtime/store/workflow-store.ts';
import { triggerSync } from '../runtime/triggers/trigger-kinds.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import type { Reply } from './reply.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

const caller = (target: string) => ({
  schemaVersion: 1,
  name: 'Invoice on order',
  trigger: { type: 'manual' },
  nodes: [{ id: 'bill', uses: 'core.subworkflow', with: { workflow: target, input: { order: 1 } } }],
  edges: [],
});
const child = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [{ id: 'c', uses: 'core.transform', with: { value: 1 } }],
  edges: [],
});

let db: TestDatabase;
let model: ScriptedModelServer;
let service: ConversationService;
let ada: Principal;
let ids: { mallory: string; bob: string };

beforeAll(async () => {
  db = await createTestDatabase();
  model = await startScriptedModelServer();
  service = createConversationService({
    sql: db.sql,
    provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: model.openaiBaseUrl }),
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: [] }),
  });
  ada = await testPrincipal(db.sql, 'ada', 'owner');
  ids = {
    mallory: (await testPrincipal(db.sql, 'mallory', 'builder')).userId,
    bob: (await testPrincipal(db.sql, 'bob', 'builder')).userId,
  };
});
afterAll(async () => {
  await model?.close();
  await db?.drop();
});

async function propose(threadKey: string, document: unknown) {
  model.setScript([
    { toolCalls: [{ name: 'propose_workflow', input: { document, summary: 'Bills each order.' } }] },
    { text: 'Proposed.' },
  ]);
  const replies = await service.handleMessage({ threadKey, principal: ada, text: 'bill each order' });
  const reply = replies.find(
    (entry): entry is Extract<Reply, { type: 'proposal' }> => entry.type === 'proposal',
  );
  if (!reply) throw new Error(`no proposal in ${JSON.stringify(replies)}`);
  return reply;
}

describe('approval card: sub-workflow targets', () => {
  it('shows the target by name and id, and approval stores that id', async () => {
    const workflows = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
    const billing = await workflows.create(
      child('create-invoice'),
      { ownerRef: 'user:ada', ownerId: ada.userId },
      { activate: true },
    );
    const reply = await propose('card-1', caller('create-invoice'));
    expect(reply.proposal.effects?.subworkflowSteps).toEqual([
      {
        id: 'bill',
        workflow: 'create-invoice',
        target: { id: billing.id, name: 'create-invoice', active: true },
        problem: null,
      },
    ]);
    expect(reply.summary).toContain(`Step bill runs workflow "create-invoice" (${billing.id})`);
    // Someone else takes the name before the approval: the card's target is still the one stored.
    await workflows.create(
      child('create-invoice'),
      { ownerRef: 'user:mallory', ownerId: ids.mallory },
      { activate: true },
    );
    await service.decide({ proposalId: reply.proposal.id, decision: 'approve', principal: ada });
    const [row] = await db.sql`select id from workflows where name = 'Invoice on order'`;
    const stored = await getVersionRow(db.sql, String(row?.id), 1);
    expect(stored.document.nodes[0]?.with.workflow).toBe(billing.id);
  });

  it("warns when the target is missing or another owner's, before anyone approves", async () => {
    const workflows = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
    await workflows.create(
      child('their-flow'),
      { ownerRef: 'user:bob', ownerId: ids.bob },
      { activate: true },
    );
    const foreign = await propose('card-2', caller('their-flow'));
    expect(foreign.proposal.effects?.subworkflowSteps?.[0]).toMatchObject({
      target: null,
      problem: 'forbidden',
    });
    expect(foreign.summary).toMatch(
      /⚠ Step bill runs sub-workflow "their-flow": it belongs to another owner/,
    );
    const missing = await propose('card-3', caller('nothing-by-that-name'));
    expect(missing.summary).toMatch(/no stored workflow has that id or name, so approving will be refused/);
    const decided = await service.decide({
      proposalId: foreign.proposal.id,
      decision: 'approve',
      principal: ada,
    });
    expect(decided[0]).toMatchObject({ type: 'error', code: 'E_SUBWORKFLOW_TARGET' });
    expect(
      await db.sql`select id from workflows where name = 'Invoice on order' and owner_id = ${ada.userId}`,
    ).toHaveLength(1);
  });
});
