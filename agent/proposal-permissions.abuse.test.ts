import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type Principal, type Role, setWorkflowOwner, toPrincipal } from '../access/index.ts';
import { builtinConnectors } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import { createRuntimePorts, type RuntimePorts } from './runtime-ports.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

// What a person may propose through the agent, whatever the model (or text injected into it) asks for: changes
// only to workflows they own (or as an admin), credentials only their own or shared ones, and reading only
// workflows they may read.

let db: TestDatabase;
let model: ScriptedModelServer;
let ports: RuntimePorts;
let people: Record<'olga' | 'bob' | 'bea' | 'vic', Principal>;

const fetchFrom = (name: string, url: string, credential?: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'call',
      uses: 'http.request',
      ...(credential ? { credential } : {}),
      with: { method: 'GET', url },
    },
  ],
  edges: [],
});

async function credential(name: string, owner: Principal | null, scope: 'private' | 'workspace') {
  await db.sql`
    insert into credentials (id, name, type, key_id, iv, ciphertext, auth_tag, owner_id, scope)
    values (gen_random_uuid(), ${name}, 'http', 'k1', ${Buffer.alloc(12)}, ${Buffer.alloc(4)}, ${Buffer.alloc(16)},
      ${owner?.userId ?? null}, ${scope})`;
}

const serviceWith = (policy?: Parameters<typeof createConversationService>[0]['approvalPolicy']) =>
  createConversationService({
    sql: db.sql,
    provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: model.openaiBaseUrl }),
    system: loadSystemPrompt(),
    ...ports,
    approvalPolicy: policy,
  });

let turn = 0;
/** One turn where the model calls `tool` with `input`; returns the tool's result as the model saw it. */
async function toolCall(service: ConversationService, who: Principal, tool: string, input: unknown) {
  let seen = '';
  model.setScript([
    { toolCalls: [{ name: tool, input }] },
    (request) => {
      seen = request.toolResults[0]?.content ?? '';
      return { text: 'ok' };
    },
  ]);
  turn += 1;
  const replies = await service.handleMessage({
    threadKey: `web:perm-${turn}`,
    principal: who,
    text: 'do it',
  });
  return { seen, replies };
}

beforeAll(async () => {
  db = await createTestDatabase();
  model = await startScriptedModelServer();
  ports = createRuntimePorts({ sql: db.sql, connectors: builtinConnectors });
  const make = async (name: string, role: Role) =>
    toPrincipal(await createUser(db.sql, { name, role }), 'web', `test:${name}`);
  people = {
    olga: await make('olga', 'owner'),
    bob: await make('bob', 'builder'),
    bea: await make('bea', 'builder'),
    vic: await make('vic', 'viewer'),
  };
});
afterAll(async () => {
  await model.close();
  await db.drop();
});

describe('proposals are checked against the proposer', () => {
  it("a builder cannot propose a change to someone else's workflow; its owner can", async () => {
    const service = serviceWith();
    const made = await ports.workflows.create(fetchFrom('Olga feed', 'https://feed.example/a') as never, {
      conversationRef: null,
      ownerRef: 'olga',
    });
    await setWorkflowOwner(db.sql, made.id, people.bea.userId);
    const patch = [{ op: 'replace', path: '/nodes/0/with/url', value: 'https://evil.example/x' }];
    const byBob = await toolCall(service, people.bob, 'propose_change', {
      workflowId: made.id,
      patch,
      summary: 'x',
    });
    expect(byBob.seen).toContain('E_FORBIDDEN');
    expect(byBob.seen).toContain('belongs to someone else');
    const byBea = await toolCall(service, people.bea, 'propose_change', {
      workflowId: made.id,
      patch,
      summary: 'x',
    });
    expect(byBea.seen).not.toContain('E_FORBIDDEN');
    const [row] =
      await db.sql`select approvers, proposer_id, second_person_reasons from proposals where workflow_id = ${made.id}`;
    expect(row?.proposerId).toBe(people.bea.userId);
    // A new destination: someone other than bea must approve.
    expect(row?.approvers).toEqual(['role:admin']);
    expect(JSON.stringify(row?.secondPersonReasons)).toContain('evil.example');
  });

  it('a credential private to someone else is refused; one another person shared needs a second person', async () => {
    await credential('bea-private', people.bea, 'private');
    await credential('olga-shared', people.olga, 'workspace');
    await credential('bob-own', people.bob, 'private');
    // Even with builders allowed to approve their own safe new workflows.
    const service = serviceWith({
      selfApprove: { admins: true, builders: true },
      secondPerson: { newDestinations: false, othersCredentials: true, exceptSoloOwner: true },
    });
    const stolen = await toolCall(service, people.bob, 'propose_workflow', {
      document: fetchFrom('Uses bea', 'https://api.example/x', 'bea-private'),
      summary: 'x',
    });
    expect(stolen.seen).toContain('private to someone else: bea-private');
    expect(await db.sql`select 1 from proposals where document->>'name' = 'Uses bea'`).toHaveLength(0);

    const shared = await toolCall(service, people.bob, 'propose_workflow', {
      document: fetchFrom('Uses olga', 'https://api.example/x', 'olga-shared'),
      summary: 'x',
    });
    const card = shared.replies.find((r) => r.type === 'proposal');
    if (card?.type !== 'proposal') throw new Error('no proposal');
    const sharedId = card.proposal.id;
    expect(card.summary).toContain('Uses credential "olga-shared" (olga\'s, shared with the workspace)');
    const refused = await service.decide({
      proposalId: sharedId,
      decision: 'approve',
      principal: people.bob,
    });
    expect(refused[0]).toMatchObject({ type: 'error', code: 'E_FORBIDDEN' });
    expect(refused[0]?.type === 'error' && refused[0].message).toContain('credentials someone else owns');

    const own = await toolCall(service, people.bob, 'propose_workflow', {
      document: fetchFrom('Uses own', 'https://api.example/x', 'bob-own'),
      summary: 'x',
    });
    const ownCard = own.replies.find((r) => r.type === 'proposal');
    if (ownCard?.type !== 'proposal') throw new Error('no proposal');
    const approved = await service.decide({
      proposalId: ownCard.proposal.id,
      decision: 'approve',
      principal: people.bob,
    });
    expect(approved[0]).toMatchObject({ type: 'text' });
  });

  it('a viewer is not offered the proposing tools, and a forced call creates nothing', async () => {
    const service = serviceWith();
    const offered = (who: Principal) => service.toolsFor(who).map((tool) => tool.name);
    expect(offered(people.vic)).toEqual(
      expect.arrayContaining(['search_docs', 'list_workflows', 'get_workflow', 'get_run', 'explain_failure']),
    );
    for (const building of [
      'draft_workflow',
      'test_workflow',
      'propose_workflow',
      'propose_change',
      'propose_fix',
    ])
      expect(offered(people.vic)).not.toContain(building);
    expect(offered(people.bob)).toContain('propose_workflow');
    // A token scoped to reading runs only sees the run tools.
    const scoped = { ...people.bob, scopes: ['run.read' as const] };
    expect(offered(scoped)).toEqual(expect.arrayContaining(['get_run']));
    expect(offered(scoped)).not.toContain('propose_workflow');
    expect(offered(scoped)).not.toContain('list_workflows');
    const forced = await toolCall(service, people.vic, 'propose_workflow', {
      document: fetchFrom('Viewer forced', 'https://api.example/x'),
      summary: 'x',
    });
    expect(forced.seen).toMatch(/unknown tool|not available|E_UNKNOWN_TOOL|no tool/i);
    expect(await db.sql`select 1 from proposals where document->>'name' = 'Viewer forced'`).toHaveLength(0);
    const tools = model.requests.at(-2)?.normalized.toolNames ?? [];
    expect(tools).toContain('get_workflow');
    expect(tools).not.toContain('draft_workflow');
  });

  it("private workflows stay their owner's: another person's chat neither lists nor reads them", async () => {
    const service = serviceWith();
    const made = await ports.workflows.create(fetchFrom('Secret plan', 'https://plan.example/') as never, {
      conversationRef: null,
      ownerRef: 'bea',
    });
    await setWorkflowOwner(db.sql, made.id, people.bea.userId);
    await db.sql`update workflows set scope = 'private' where id = ${made.id}`;
    const listed = await toolCall(service, people.vic, 'list_workflows', {});
    expect(listed.seen).not.toContain('Secret plan');
    const read = await toolCall(service, people.bob, 'get_workflow', { workflowId: made.id });
    expect(read.seen).not.toContain('plan.example');
    expect(read.seen).toContain('E_NOT_FOUND');
    const own = await toolCall(service, people.bea, 'get_workflow', { workflowId: made.id });
    expect(own.seen).toContain('plan.example');
    const admin = await toolCall(service, people.olga, 'list_workflows', {});
    expect(admin.seen).toContain('Secret plan');
  });
});
