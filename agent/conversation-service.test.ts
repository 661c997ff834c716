import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpConnector } from '../connectors/http/connector.ts';
import { slackConnector } from '../connectors/slack/connector.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import { validateWorkflow } from '../runtime/workflow/validate.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import { createAnthropicProvider } from './providers/anthropic-provider.ts';
import { createModelProvider } from './providers/create-model-provider.ts';
import type { ModelProvider } from './providers/model-provider.ts';
import { createOpenAIProvider } from './providers/openai-provider.ts';
import type { Reply } from './reply.ts';
import { createRuntimePorts, type RuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { type ScriptedModelServer, startScriptedModelServer } from './testing/scripted-model-server.ts';

const noWait = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 };

const validDocument = {
  schemaVersion: 1,
  name: 'New issues to Slack',
  trigger: { type: 'webhook' },
  nodes: [
    {
      id: 'post',
      uses: 'slack.postMessage',
      credential: 'slack',
      with: { channel: '#triage', text: 'New issue: {{ trigger.body.issue.title }}' },
    },
  ],
  edges: [],
};

const brokenDocument = {
  ...validDocument,
  nodes: [
    { id: 'post', uses: 'slack.postMessage', credential: 'slack', with: { channel: '#triage', txt: 'oops' } },
  ],
};

function proposalsOf(replies: Reply[]) {
  return replies.flatMap((reply) =>
    reply.type === 'proposal' || reply.type === 'fix_proposal' ? [reply.proposal] : [],
  );
}

describe.each(['anthropic', 'openai'] as const)('conversation service with the real %s SDK', (kind) => {
  let db: TestDatabase;
  let server: ScriptedModelServer;
  let ports: RuntimePorts;
  let service: ConversationService;
  let provider: ModelProvider;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startScriptedModelServer();
    ports = createRuntimePorts({ sql: db.sql, connectors: [slackConnector, httpConnector] });
    provider =
      kind === 'anthropic'
        ? createAnthropicProvider({
            model: 'claude-test',
            apiKey: 'sk-test-key',
            baseURL: server.anthropicBaseUrl,
            retry: noWait,
          })
        : createOpenAIProvider({
            model: 'gpt-test',
            apiKey: 'sk-test-key',
            baseURL: server.openaiBaseUrl,
            retry: noWait,
          });
    service = createConversationService({ sql: db.sql, provider, system: loadSystemPrompt(), ...ports });
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  it('creates a workflow from a conversation: draft repaired after validation errors, dry run, proposal, approval', async () => {
    const seen: { draftErrors?: string; dryRun?: string } = {};
    server.setScript([
      {
        text: 'Let me draft that.',
        toolCalls: [{ name: 'draft_workflow', input: { document: brokenDocument } }],
      },
      (request) => {
        seen.draftErrors = request.toolResults[0]?.content;
        return { toolCalls: [{ name: 'draft_workflow', input: { document: validDocument } }] };
      },
      {
        toolCalls: [
          {
            name: 'test_workflow',
            input: { document: validDocument, triggerData: { body: { issue: { title: 'Crash on start' } } } },
          },
        ],
      },
      (request) => {
        seen.dryRun = request.toolResults[0]?.content;
        return {
          toolCalls: [
            {
              name: 'propose_workflow',
              input: { document: validDocument, summary: 'Posts each new issue to #triage.' },
            },
          ],
        };
      },
      {
        text: 'Here is the proposal: it posts each new issue title to #triage. You need a Slack credential named "slack".',
      },
    ]);
    const events: string[] = [];
    const replies = await service.handleMessage(
      {
        threadKey: `test:${kind}:create`,
        principal: await testPrincipal(db.sql, 'ada', 'owner'),
        text: 'When a webhook arrives with an issue, post its title to #triage in Slack.',
      },
      (event) => events.push(event.type),
    );

    // The validator's errors (with hints) went back to the model, which repaired its draft.
    const draft = JSON.parse(seen.draftErrors ?? '{}') as {
      valid: boolean;
      errors: { code: string; path: string; hint?: string }[];
    };
    expect(draft.valid).toBe(false);
    expect(draft.errors.map((e) => e.code)).toContain('E_PARAMS');
    expect(draft.errors[0]?.hint).toBeTruthy();
    // The dry run evaluated the expression on the sample data and did not call Slack.
    const dryRun = JSON.parse(seen.dryRun ?? '{}') as {
      ok: boolean;
      steps: { id: string; status: string; input: { text: string } }[];
    };
    expect(dryRun.ok).toBe(true);
    expect(dryRun.steps[0]).toMatchObject({
      id: 'post',
      status: 'simulated',
      input: { text: 'New issue: Crash on start' },
    });

    expect(replies[0]).toMatchObject({ type: 'text' });
    const [proposal] = proposalsOf(replies);
    // Ada owns the workspace alone: the policy lets her approve her own proposal (no second person exists).
    const ada = await testPrincipal(db.sql, 'ada', 'owner');
    expect(proposal).toMatchObject({ kind: 'new', status: 'pending', approvers: ['role:admin', ada.userId] });
    expect(proposal?.missingCredentials).toEqual([
      { name: 'slack', type: 'slack', nodes: ['post'], command: 'vmesh credentials set slack --type slack' },
    ]);
    expect(proposal?.effects?.writeSteps).toHaveLength(1);
    expect(events).toContain('text_delta');
    expect(events).toContain('tool_start');
    expect(events).toContain('proposal');

    // Nothing exists until a person approves.
    expect(await db.sql`select id from workflows`).toHaveLength(0);

    const decided = await service.decide({
      proposalId: proposal!.id,
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
    });
    expect(decided[0]?.type).toBe('text');
    const [workflow] = await db.sql`select id, active, current_version, conversation_ref from workflows`;
    expect(workflow).toMatchObject({ active: true, currentVersion: 1 });
    const [version] =
      await db.sql`select document from workflow_versions where workflow_id = ${String(workflow?.id)}`;
    expect(validateWorkflow(version?.document, { catalog: ports.catalog }).valid).toBe(true);
    const auditRows =
      await db.sql`select action, actor from audit_log where subject_id = ${proposal!.id} order by id`;
    expect(auditRows.map((r) => r.action)).toEqual(['proposal.created', 'proposal.approved']);

    // A second approval is refused.
    const again = await service.decide({
      proposalId: proposal!.id,
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
    });
    expect(again[0]).toMatchObject({ type: 'error', code: 'E_ALREADY_DECIDED' });

    // The system prompt and the tools reached the model.
    const first = server.requests.find((r) => r.normalized.lastUserText.includes('post its title'));
    expect(first?.normalized.system).toContain(loadSystemPrompt().text.slice(0, 200));
    expect(first?.normalized.toolNames).toContain('propose_workflow');
  });

  it('asks a clarifying question instead of guessing', async () => {
    server.setScript([{ text: 'Which Slack channel should I post to, and on what schedule?' }]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:clarify`,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'Send a daily report to Slack',
    });
    expect(replies).toEqual([
      { type: 'text', text: 'Which Slack channel should I post to, and on what schedule?' },
    ]);
    expect(server.requests.at(-1)?.normalized.system).toMatch(/clarifying question/);
  });

  it('retries a 429 from the provider and answers', async () => {
    server.setScript([{ error: { status: 429, retryAfter: '0' } }, { text: 'Done waiting.' }]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:429`,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'hi',
    });
    expect(replies).toEqual([{ type: 'text', text: 'Done waiting.' }]);
  });

  it('a provider that keeps answering 429 gives an error reply, not an exception', async () => {
    server.setScript([
      { error: { status: 429, retryAfter: '0' } },
      { error: { status: 429, retryAfter: '0' } },
      { error: { status: 429, retryAfter: '0' } },
    ]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:429b`,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'hi',
    });
    expect(replies).toEqual([expect.objectContaining({ type: 'error', code: 'E_MODEL_RATE_LIMITED' })]);
  });

  it('rejects: nothing changes and the rejection is audited', async () => {
    server.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: { document: { ...validDocument, name: 'To reject' }, summary: 'x' },
          },
        ],
      },
      { text: 'Proposed.' },
    ]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:reject`,
      principal: await testPrincipal(db.sql, 'bo', 'builder'),
      text: 'make it',
    });
    const [proposal] = proposalsOf(replies);
    const before = await db.sql`select count(*)::int as n from workflows`;
    const decided = await service.decide({
      proposalId: proposal!.id,
      decision: 'reject',
      principal: await testPrincipal(db.sql, 'bo', 'builder'),
    });
    expect(decided[0]?.type).toBe('text');
    expect(await db.sql`select count(*)::int as n from workflows`).toEqual(before);
    const [row] =
      await db.sql`select action from audit_log where subject_id = ${proposal!.id} and action = 'proposal.rejected'`;
    expect(row).toBeDefined();
  });

  it('binds approval to the document hash and to the approvers', async () => {
    server.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: { document: { ...validDocument, name: 'Bound' }, summary: 'x' },
          },
        ],
      },
      { text: 'Proposed.' },
    ]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:hash`,
      principal: await testPrincipal(db.sql, 'cy', 'builder'),
      text: 'make it',
    });
    const [proposal] = proposalsOf(replies);
    const stranger = await service.decide({
      proposalId: proposal!.id,
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'mallory', 'viewer'),
    });
    expect(stranger[0]).toMatchObject({ type: 'error', code: 'E_FORBIDDEN' });
    const wrongHash = await service.decide({
      proposalId: proposal!.id,
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      documentHash: 'sha256:other',
    });
    expect(wrongHash[0]).toMatchObject({ type: 'error', code: 'E_HASH_MISMATCH' });
    // An edit after the proposal (here: straight in the table) needs a new proposal.
    await db.sql`update proposals set document = jsonb_set(document, '{name}', '"Edited"') where id = ${proposal!.id}`;
    const edited = await service.decide({
      proposalId: proposal!.id,
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
    });
    expect(edited[0]).toMatchObject({ type: 'error', code: 'E_HASH_MISMATCH' });
    expect(await db.sql`select id from workflows where name in ('Bound', 'Edited')`).toHaveLength(0);
  });

  it('proposes a change as a JSON Patch; approval makes a new version', async () => {
    const [workflow] = await db.sql`select id from workflows where name = 'New issues to Slack'`;
    const workflowId = String(workflow?.id);
    server.setScript([
      { toolCalls: [{ name: 'get_workflow', input: { workflowId } }] },
      {
        toolCalls: [
          {
            name: 'propose_change',
            input: {
              workflowId,
              patch: [{ op: 'replace', path: '/nodes/0/with/channel', value: '#bugs' }],
              summary: 'Post to #bugs instead.',
            },
          },
        ],
      },
      { text: 'Proposed the change.' },
    ]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:create`,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'post to #bugs instead',
    });
    const [proposal] = proposalsOf(replies);
    expect(proposal).toMatchObject({ kind: 'change', workflowId, baseVersion: 1 });
    expect(proposal?.diff).toEqual([{ op: 'replace', path: '/nodes/0/with/channel', value: '#bugs' }]);
    expect(proposal?.effects?.newWriteSteps).toHaveLength(1);
    const decided = await service.decide({
      proposalId: proposal!.id,
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
    });
    expect(decided[0]).toMatchObject({ type: 'text' });
    const [row] = await db.sql`select current_version from workflows where id = ${workflowId}`;
    expect(row?.currentVersion).toBe(2);
  });

  it('a change proposal made against an older version is refused as stale', async () => {
    const [workflow] = await db.sql`select id from workflows where name = 'New issues to Slack'`;
    const workflowId = String(workflow?.id);
    server.setScript([
      {
        toolCalls: [
          {
            name: 'propose_change',
            input: {
              workflowId,
              patch: [{ op: 'replace', path: '/nodes/0/with/channel', value: '#later' }],
              summary: 'Later.',
            },
          },
        ],
      },
      { text: 'Proposed.' },
    ]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:stale`,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'post to #later',
    });
    const [proposal] = proposalsOf(replies);
    const current = await ports.workflows.get(workflowId);
    await ports.workflows.addVersion(workflowId, { ...current!.document, description: 'changed meanwhile' });
    const decided = await service.decide({
      proposalId: proposal!.id,
      decision: 'approve',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
    });
    expect(decided[0]).toMatchObject({ type: 'error', code: 'E_STALE_PROPOSAL' });
    expect((await service.getProposal(proposal!.id))?.status).toBe('pending');
  });

  it('a newer proposal supersedes the pending one for the same thing', async () => {
    server.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: { document: { ...validDocument, name: 'First try' }, summary: 'one' },
          },
          {
            name: 'propose_workflow',
            input: { document: { ...validDocument, name: 'Second try' }, summary: 'two' },
          },
        ],
      },
      { text: 'Proposed.' },
    ]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:supersede`,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'make it',
    });
    const shown = proposalsOf(replies);
    expect(shown.map((p) => p.document?.name)).toEqual(['Second try']);
    const all =
      await db.sql`select status from proposals where document->>'name' in ('First try', 'Second try') order by created_at`;
    expect(all.map((r) => r.status)).toEqual(['superseded', 'pending']);
  });

  it('secrets pasted into the chat do not reach the model', async () => {
    server.setScript([{ text: 'Please store it as a credential instead.' }]);
    const token = `xoxb-${'1234567890'.repeat(3)}-abcdef`;
    await service.handleMessage({
      threadKey: `test:${kind}:secret`,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: `my slack token is ${token}`,
    });
    expect(server.requests.at(-1)?.rawBody).not.toContain(token);
  });

  it('turns are one at a time per conversation: concurrent messages queue', async () => {
    server.setScript([
      (r) => ({ text: `answer to ${r.lastUserText}` }),
      (r) => ({ text: `answer to ${r.lastUserText}` }),
    ]);
    const threadKey = `test:${kind}:queue`;
    await Promise.all([
      service.handleMessage({
        threadKey,
        principal: await testPrincipal(db.sql, 'ada', 'owner'),
        text: 'one',
      }),
      service.handleMessage({
        threadKey,
        principal: await testPrincipal(db.sql, 'ada', 'owner'),
        text: 'two',
      }),
    ]);
    const rows = await db.sql`
      select m.role from conversation_messages m join conversations c on c.id = m.conversation_id
      where c.thread_key = ${threadKey} order by m.id`;
    expect(rows.map((r) => r.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('bad tool arguments from the model go back to it as tool errors', async () => {
    let toolError = '';
    server.setScript([
      {
        toolCalls: [
          { name: 'search_docs', input: { k: 'many' } },
          { name: 'no_such_tool', input: {} },
        ],
      },
      (r) => {
        toolError = r.toolResults.map((t) => `${t.isError}:${t.content}`).join('\n');
        return { text: 'Sorry.' };
      },
    ]);
    const replies = await service.handleMessage({
      threadKey: `test:${kind}:badargs`,
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'x',
    });
    expect(replies).toEqual([{ type: 'text', text: 'Sorry.' }]);
    expect(toolError).toContain('Invalid arguments for search_docs');
    expect(toolError).toContain('E_UNKNOWN_TOOL');
  });
});

describe('missing API key', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('answers with a clear error reply, not a stack trace', async () => {
    const result = createModelProvider('anthropic:claude-test', { env: {} });
    if (!result.ok) throw result.error;
    const ports = createRuntimePorts({ sql: db.sql, connectors: [] });
    const service = createConversationService({
      sql: db.sql,
      provider: result.value,
      system: loadSystemPrompt(),
      ...ports,
    });
    const replies = await service.handleMessage({
      threadKey: 'test:nokey',
      principal: await testPrincipal(db.sql, 'ada', 'owner'),
      text: 'hello',
    });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ type: 'error', code: 'E_MODEL_KEY_MISSING' });
    expect(replies[0]?.type === 'error' && replies[0].message).toContain('ANTHROPIC_API_KEY');
    expect(JSON.stringify(replies)).not.toContain('    at ');
  });
});
