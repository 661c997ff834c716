import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureLocalOwner } from '../../access/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import {
  createCredentialStore,
  httpConnector,
  llmConnector,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { getRunView, waitForRun } from '../store/run-store.ts';
import { decideApproval, startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// core.agent on the real worker: the scripted model server speaks the Anthropic and OpenAI wire formats, a
// local orders API answers http.request tool calls, Postgres keeps the sub-steps and the chat memory.

const secretKey = Buffer.alloc(32, 11).toString('base64');
const apiKey = 'sk-scripted-model-key-0123456789';
const ordersToken = 'orders-token-canary-4711';
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let model: ScriptedModelServer;
let orders: Server;
let ordersBase = '';
const orderCalls: { path: string; authorization: string | undefined }[] = [];

function handleOrders(request: IncomingMessage, response: ServerResponse): void {
  const path = request.url ?? '/';
  orderCalls.push({ path, authorization: request.headers.authorization });
  if (path === '/orders/slow') {
    const timer = setTimeout(() => response.end('{}'), 10_000);
    response.on('close', () => clearTimeout(timer));
    return;
  }
  const match = /^\/orders\/(\d+)$/.exec(path);
  if (!match) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'no such order' }));
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({ id: Number(match[1]), status: 'shipped', carrier: 'DHL', eta: '2026-12-05' }),
  );
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  model = await startScriptedModelServer({ requireApiKey: apiKey });
  orders = createServer(handleOrders);
  await new Promise<void>((resolve) => orders.listen(0, '127.0.0.1', resolve));
  const address = orders.address();
  ordersBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [httpConnector, llmConnector],
    },
  );
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: [httpConnector.credential, llmConnector.credential].flatMap((type) => (type ? [type] : [])),
  });
  await credentials.set('claude', 'llm', {
    provider: 'anthropic',
    apiKey,
    baseUrl: model.anthropicBaseUrl,
    model: 'claude-test',
  });
  await credentials.set('gpt', 'llm', {
    provider: 'openai',
    apiKey,
    baseUrl: model.openaiBaseUrl,
    model: 'gpt-test',
  });
  await credentials.set('shop', 'http', { scheme: 'bearer', token: ordersToken });
  worker = await engine.startWorker({ concurrency: 2 });
});

beforeEach(() => {
  model.setScript([]);
  model.requests.length = 0;
  orderCalls.length = 0;
});

afterAll(async () => {
  await worker?.stop();
  await model?.close();
  orders?.closeAllConnections();
  await new Promise((resolve) => orders?.close(resolve));
  await db?.drop();
});

const supportAgent = (credential: string, extra: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  name: `support agent ${credential} ${Math.random()}`,
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'answer',
      uses: 'core.agent',
      credential,
      retry: { maxAttempts: 1 },
      with: {
        system: 'You answer questions about orders. Look orders up with get_order; never guess.',
        prompt: '{{ trigger.text }}',
        tools: [
          {
            uses: 'http.request',
            name: 'get_order',
            credential: 'shop',
            description: 'GET an order: url is <base>/orders/<id>.',
            with: { method: 'GET' },
          },
        ],
        memory: { key: '{{ trigger.chat.id }}', window: 10 },
        ...extra,
      },
    },
  ],
  edges: [],
});

const AgentOutput = z.object({
  text: z.string(),
  data: z.unknown().optional(),
  toolCalls: z.number(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
  model: z.string(),
});

async function runAgent(document: unknown, trigger: unknown) {
  const { id } = await engine.workflows.create(document);
  const { runId } = await startRun(db.sql, id, trigger);
  const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
  return { runId, view, workflowId: id };
}

/** The text of every message a recorded request sent, in order (both wire formats). */
function sentTexts(request: { body: unknown }): string[] {
  const body = z
    .object({ messages: z.array(z.object({ content: z.unknown() }).loose()) })
    .parse(request.body);
  return body.messages.map((message) =>
    typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? null),
  );
}

describe.each([
  ['anthropic', 'claude'],
  ['openai', 'gpt'],
] as const)('core.agent over %s', (provider, credential) => {
  it('answers messages with an agent that looks up orders over HTTP and remembers the chat', async () => {
    const chat = { id: `chat-${provider}` };
    const document = supportAgent(credential);
    const { id: workflowId } = await engine.workflows.create(document);
    model.setScript([
      { toolCalls: [{ name: 'get_order', input: { url: `${ordersBase}/orders/42` } }] },
      (request) => {
        const result = request.toolResults[0]?.content ?? '';
        return {
          text: result.includes('shipped') ? 'Order 42 has shipped with DHL, due 2026-12-05.' : 'No idea.',
        };
      },
    ]);
    const first = await startRun(db.sql, workflowId, { chat, text: 'Where is my order 42?' });
    const firstView = await waitForRun(db.sql, first.runId, { timeoutMs: 30_000 });
    expect(firstView.status).toBe('succeeded');
    const output = AgentOutput.parse(firstView.output);
    expect(output.text).toBe('Order 42 has shipped with DHL, due 2026-12-05.');
    expect(output.toolCalls).toBe(1);
    expect(output.usage.inputTokens).toBeGreaterThan(0);
    expect(orderCalls).toEqual([{ path: '/orders/42', authorization: `Bearer ${ordersToken}` }]);
    expect(model.requests.every((request) => request.provider === provider)).toBe(true);
    expect(model.requests[0]?.normalized.toolNames).toEqual(['get_order']);
    expect(model.requests[0]?.normalized.system).toContain('never guess');
    // The fixed `method` is not a parameter the model sees.
    expect(model.requests[0]?.rawBody).not.toContain('"method"');
    // Secrets never reach the model.
    const sent = model.requests.map((request) => request.rawBody).join('\n');
    expect(model.requests[1]?.normalized.toolResults[0]?.content).toContain('"carrier":"DHL"');
    expect(sent).not.toContain(ordersToken);

    // The sub-steps are in the run view and the run's events.
    const view = await getRunView(db.sql, first.runId);
    const step = view.steps.find((candidate) => candidate.id === 'answer');
    expect(step?.subSteps?.map((sub) => [sub.kind, sub.name])).toEqual([
      ['memory', null],
      ['model', null],
      ['tool', 'get_order'],
      ['model', null],
    ]);
    const events = await db.sql`select type from run_events where run_id = ${first.runId} order by seq`;
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['step.model_turn', 'step.tool_call']),
    );

    // A second run with the same session key sees the first exchange.
    model.setScript([{ text: 'You asked about order 42.' }]);
    const second = await startRun(db.sql, workflowId, { chat, text: 'What did I ask before?' });
    const secondView = await waitForRun(db.sql, second.runId, { timeoutMs: 30_000 });
    expect(secondView.status).toBe('succeeded');
    const texts = sentTexts(model.requests.at(-1) ?? { body: null }).join('\n');
    expect(texts).toContain('Where is my order 42?');
    expect(texts).toContain('Order 42 has shipped with DHL');
    expect(texts).toContain('What did I ask before?');

    // Another session key starts empty.
    model.setScript([{ text: 'Hello.' }]);
    const other = await startRun(db.sql, workflowId, { chat: { id: 'someone-else' }, text: 'Hi' });
    expect((await waitForRun(db.sql, other.runId, { timeoutMs: 30_000 })).status).toBe('succeeded');
    expect(sentTexts(model.requests.at(-1) ?? { body: null }).join('\n')).not.toContain('order 42');
  });

  it('checks structured output against its JSON Schema, with one repair round', async () => {
    const schema = {
      type: 'object',
      properties: { orderId: { type: 'integer' }, status: { type: 'string', enum: ['shipped', 'pending'] } },
      required: ['orderId', 'status'],
      additionalProperties: false,
    };
    model.setScript([
      { text: '{"orderId": "42"}' },
      { text: '```json\n{"orderId": 42, "status": "shipped"}\n```' },
    ]);
    const repaired = await runAgent(supportAgent(credential, { output: { schema }, memory: undefined }), {
      chat: { id: 'x' },
      text: 'Status of 42 as JSON',
    });
    expect(repaired.view.status).toBe('succeeded');
    expect(AgentOutput.parse(repaired.view.output).data).toEqual({ orderId: 42, status: 'shipped' });
    expect(model.requests).toHaveLength(2);
    expect(model.requests[1]?.normalized.lastUserText).toContain('does not match the JSON Schema');

    model.setScript([{ text: 'not json at all' }, { text: '{"orderId": 1, "status": "lost"}' }]);
    const failed = await runAgent(supportAgent(credential, { output: { schema }, memory: undefined }), {
      chat: { id: 'x' },
      text: 'again',
    });
    expect(failed.view.status).toBe('failed');
    const step = failed.view.steps.find((candidate) => candidate.id === 'answer');
    expect(step?.error).toMatchObject({ code: 'E_AGENT_OUTPUT' });
  });

  it('fails the step with a clear error when a budget is exceeded', async () => {
    const lookup = { toolCalls: [{ name: 'get_order', input: { url: `${ordersBase}/orders/1` } }] };
    model.setScript([lookup, lookup, lookup]);
    const tools = await runAgent(supportAgent(credential, { maxToolCalls: 2, memory: undefined }), {
      text: 'loop',
    });
    expect(tools.view.status).toBe('failed');
    const toolStep = tools.view.steps.find((candidate) => candidate.id === 'answer');
    expect(toolStep?.error).toMatchObject({
      code: 'E_AGENT_TOOL_BUDGET',
      message: expect.stringContaining('budget of 2'),
    });
    expect(orderCalls).toHaveLength(2);

    model.setScript([{ text: 'x'.repeat(2_000) }]);
    const tokens = await runAgent(supportAgent(credential, { maxTokens: 100, memory: undefined }), {
      text: 'hi',
    });
    expect(tokens.view.status).toBe('failed');
    expect(tokens.view.steps[0]?.error).toMatchObject({ code: 'E_AGENT_TOKEN_BUDGET' });

    // A tool call still running when the time budget ends is cut off, and the step fails on the budget.
    model.setScript([{ toolCalls: [{ name: 'get_order', input: { url: `${ordersBase}/orders/slow` } }] }]);
    const slow = await runAgent(supportAgent(credential, { timeBudgetMs: 1_000, memory: undefined }), {
      text: 'slow',
    });
    expect(slow.view.status).toBe('failed');
    expect(slow.view.steps[0]?.error).toMatchObject({ code: 'E_AGENT_TIME_BUDGET' });
  });
});

describe('core.agent memory in summary mode', () => {
  it('condenses older turns into a stored summary the next run reads', async () => {
    const document = supportAgent('claude', {
      memory: { key: '{{ trigger.chat.id }}', window: 2, mode: 'summary' },
    });
    const { id: workflowId } = await engine.workflows.create(document);
    const chat = { id: 'summary-chat' };
    model.setScript([{ text: 'Hi Ada.' }]);
    await waitForRun(db.sql, (await startRun(db.sql, workflowId, { chat, text: 'I am Ada.' })).runId);
    // Four messages now pass the window of two: the first exchange is condensed.
    model.setScript([{ text: 'Noted: blue.' }, { text: 'The user is Ada.' }]);
    const second = await startRun(db.sql, workflowId, { chat, text: 'I like blue.' });
    expect((await waitForRun(db.sql, second.runId, { timeoutMs: 30_000 })).status).toBe('succeeded');
    expect(model.requests.at(-1)?.normalized.lastUserText).toContain('user: I am Ada.');
    const [memory] = await db.sql`
      select turns, summary from agent_memories where workflow_id = ${workflowId} and session_key = 'summary-chat'`;
    expect(memory?.summary).toBe('The user is Ada.');
    expect(memory?.turns).toEqual([
      { role: 'user', content: 'I like blue.' },
      { role: 'assistant', content: 'Noted: blue.' },
    ]);
    model.setScript([{ text: 'You are Ada.' }, { text: 'The user is Ada; likes blue.' }]);
    const third = await startRun(db.sql, workflowId, { chat, text: 'Who am I?' });
    expect((await waitForRun(db.sql, third.runId, { timeoutMs: 30_000 })).status).toBe('succeeded');
    // The answer's request carries the stored summary; the condensing request gets the summary so far.
    expect(model.requests.at(-2)?.normalized.system).toContain('The user is Ada.');
    expect(model.requests.at(-1)?.normalized.lastUserText).toContain('Summary so far:\nThe user is Ada.');
  });
});

describe('core.agent with approveWrites', () => {
  it('pauses the run for each write tool call; an approved call runs, a rejected one is told to the model', async () => {
    const lookup = (id: number) => ({
      toolCalls: [{ name: 'get_order', input: { url: `${ordersBase}/orders/${id}` } }],
    });
    model.setScript([
      lookup(7),
      lookup(8),
      (request) => ({
        text: request.toolResults[0]?.isError ? 'Order 8 was not looked up.' : 'Both looked up.',
      }),
    ]);
    const { id } = await engine.workflows.create(
      supportAgent('gpt', { approveWrites: true, approvers: ['role:admin'], memory: undefined }),
    );
    const { runId } = await startRun(db.sql, id, { text: 'Orders 7 and 8?' });
    const decider = await ensureLocalOwner(db.sql, 'system');
    const pendingApproval = async () => {
      for (let tries = 0; tries < 300; tries++) {
        const [row] = await db.sql`
          select a.id, a.message from approvals a join runs r on r.id = a.run_id
          where a.run_id = ${runId} and a.status = 'pending' and r.status = 'waiting'`;
        if (row) return { id: String(row.id), message: String(row.message) };
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('no pending approval');
    };

    const first = await pendingApproval();
    expect(first.message).toContain('get_order');
    expect(first.message).toContain('/orders/7');
    expect(orderCalls).toEqual([]);
    await decideApproval(db.sql, first.id, { decision: 'approve' }, decider);

    const second = await pendingApproval();
    expect(second.message).toContain('/orders/8');
    expect(orderCalls.map((call) => call.path)).toEqual(['/orders/7']);
    await decideApproval(db.sql, second.id, { decision: 'reject', comment: 'not this one' }, decider);

    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status).toBe('succeeded');
    expect(view.output).toMatchObject({ text: 'Order 8 was not looked up.', toolCalls: 2 });
    expect(orderCalls.map((call) => call.path)).toEqual(['/orders/7']);
    expect(model.requests.at(-1)?.normalized.toolResults[0]?.content).toContain(
      'rejected this call: not this one',
    );
    // Each model turn was asked once, across the two waits.
    expect(model.requests).toHaveLength(3);
    const step = (await getRunView(db.sql, runId)).steps.find((candidate) => candidate.id === 'answer');
    expect(step?.subSteps?.map((sub) => sub.kind)).toEqual([
      'model',
      'approval',
      'tool',
      'model',
      'approval',
      'tool',
      'model',
    ]);
  });
});

describe('core.agent with a workflow tool', () => {
  it('runs a stored workflow as a tool: the step waits for the child run and gives the model its output', async () => {
    const child = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: `refund calculator ${Math.random()}`,
        trigger: { type: 'manual' },
        nodes: [
          { id: 'calc', uses: 'core.transform', with: { value: '{{ { "refund": trigger.amount * 0.5 } }}' } },
        ],
        edges: [],
      },
      {},
      { activate: true },
    );
    model.setScript([
      { toolCalls: [{ name: 'refund_for', input: { amount: 30 } }] },
      (request) => ({ text: `The refund is ${JSON.parse(request.toolResults[0]?.content ?? '{}').refund}.` }),
    ]);
    const { runId, view } = await runAgent(
      {
        ...supportAgent('claude', { memory: undefined }),
        nodes: [
          {
            id: 'answer',
            uses: 'core.agent',
            credential: 'claude',
            with: {
              prompt: '{{ trigger.text }}',
              tools: [
                {
                  workflow: child.id,
                  name: 'refund_for',
                  description: 'Computes the refund for an amount.',
                  input: { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] },
                },
              ],
            },
          },
        ],
      },
      { text: 'Refund for 30?' },
    );
    expect(view.status).toBe('succeeded');
    expect(view.output).toMatchObject({ text: 'The refund is 15.', toolCalls: 1 });
    expect(model.requests[0]?.normalized.toolNames).toEqual(['refund_for']);
    const [childRun] = await db.sql`
      select status, trigger from runs where parent_run_id = ${runId}`;
    expect(childRun).toMatchObject({ status: 'succeeded', trigger: { amount: 30 } });
    expect(model.requests).toHaveLength(2);
    const step = (await getRunView(db.sql, runId)).steps.find((candidate) => candidate.id === 'answer');
    expect(step?.subSteps?.map((sub) => [sub.kind, sub.name])).toEqual([
      ['model', null],
      ['tool', 'refund_for'],
      ['model', null],
    ]);
  });
});
