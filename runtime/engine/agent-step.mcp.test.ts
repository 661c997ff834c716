import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureLocalOwner } from '../../access/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createCredentialStore, llmConnector, mcpConnector, parseSecretKey } from '../../connectors/index.ts';
import { HOSTILE_TOOL_NAME, type McpFake, startMcpFake } from '../../connectors/mcp/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { getRunView, waitForRun } from '../store/run-store.ts';
import { decideApproval, startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// core.agent with MCP tools on the real worker: the scripted model server speaks both wire formats, the MCP fake
// (the SDK's own server over Streamable HTTP, bearer token required) lists and runs the tools.

const secretKey = Buffer.alloc(32, 17).toString('base64');
const apiKey = 'sk-scripted-mcp-key-0123456789';
const mcpToken = 'mcp-token-canary-5150';
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let model: ScriptedModelServer;
let mcp: McpFake;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  model = await startScriptedModelServer({ requireApiKey: apiKey });
  mcp = await startMcpFake({ token: mcpToken, hostile: true });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [llmConnector, mcpConnector],
    },
  );
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: [llmConnector.credential, mcpConnector.credential].flatMap((type) => (type ? [type] : [])),
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
  await credentials.set('calc', 'mcp', { bearerToken: mcpToken });
  worker = await engine.startWorker({ concurrency: 2 });
});

beforeEach(() => {
  model.setScript([]);
  model.requests.length = 0;
  mcp.calls.length = 0;
  mcp.methods.length = 0;
});

afterAll(async () => {
  await worker?.stop();
  await model?.close();
  await mcp?.close();
  await db?.drop();
});

const mcpAgent = (
  credential: string,
  tool: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) => ({
  schemaVersion: 1,
  name: `mcp agent ${credential} ${Math.random()}`,
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'answer',
      uses: 'core.agent',
      credential,
      retry: { maxAttempts: 1 },
      with: {
        prompt: '{{ trigger.text }}',
        tools: [{ mcp: 'calc', server: { transport: 'http', url: mcp.url }, ...tool }],
        ...extra,
      },
    },
  ],
  edges: [],
});

async function runAgent(document: unknown, trigger: unknown) {
  const { id } = await engine.workflows.create(document);
  const { runId } = await startRun(db.sql, id, trigger);
  return { runId, view: await waitForRun(db.sql, runId, { timeoutMs: 30_000 }) };
}

const ToolSpecs = z.union([
  z.object({
    tools: z.array(z.object({ name: z.string(), description: z.string(), input_schema: z.unknown() })),
  }),
  z.object({
    tools: z.array(
      z.object({
        function: z.object({ name: z.string(), description: z.string(), parameters: z.unknown() }),
      }),
    ),
  }),
]);
/** The tools a recorded request offered, as { name, description, schema } in both wire formats. */
function offered(body: unknown) {
  const parsed = ToolSpecs.parse(body);
  return parsed.tools.map((tool) =>
    'function' in tool
      ? { name: tool.function.name, description: tool.function.description, schema: tool.function.parameters }
      : { name: tool.name, description: tool.description, schema: tool.input_schema },
  );
}

describe.each([
  ['anthropic', 'claude'],
  ['openai', 'gpt'],
] as const)('core.agent with MCP tools over %s', (provider, credential) => {
  it('lists the allowed tools once, calls one, gives the model its result; a tool not allowed is not called', async () => {
    model.setScript([
      { toolCalls: [{ name: 'calc_add', input: { a: 2, b: 40 } }] },
      { toolCalls: [{ name: 'calc_echo', input: { message: 'not allowed' } }] },
      (request) => ({
        text: request.toolResults[0]?.isError ? `2 + 40 is 42; echo is not mine to call.` : 'confused',
      }),
    ]);
    const { runId, view } = await runAgent(mcpAgent(credential, { tools: ['add'], prefix: 'calc_' }), {
      text: 'What is 2 + 40?',
    });
    expect(view.status).toBe('succeeded');
    expect(view.output).toMatchObject({ text: '2 + 40 is 42; echo is not mine to call.', toolCalls: 2 });
    expect(model.requests.every((request) => request.provider === provider)).toBe(true);
    // Only the allow-listed tool is offered, with the server's schema, under its prefixed name.
    const tools = offered(model.requests[0]?.body);
    expect(tools.map((tool) => tool.name)).toEqual(['calc_add']);
    expect(tools[0]?.description).toBe('MCP tool "add": Add two numbers.');
    expect(tools[0]?.schema).toMatchObject({ type: 'object', properties: { a: { type: 'number' } } });
    expect(model.requests[0]?.normalized.system).toContain('written by outside servers');
    // The result reaches the model; the non-listed tool gets an error and never reaches the server.
    expect(model.requests[1]?.normalized.toolResults[0]?.content).toContain('"sum":42');
    expect(model.requests[2]?.normalized.toolResults[0]).toMatchObject({
      isError: true,
      content: expect.stringContaining('There is no tool "calc_echo"'),
    });
    expect(mcp.calls).toEqual([{ tool: 'add', arguments: { a: 2, b: 40 } }]);
    expect(mcp.methods.filter((method) => method === 'tools/list')).toHaveLength(1);
    // The bearer token never reaches the model.
    expect(model.requests.map((request) => request.rawBody).join('\n')).not.toContain(mcpToken);

    const step = (await getRunView(db.sql, runId)).steps.find((candidate) => candidate.id === 'answer');
    expect(step?.subSteps?.map((sub) => [sub.kind, sub.name])).toEqual([
      ['listing', 'calc'],
      ['model', null],
      ['tool', 'calc_add'],
      ['model', null],
      ['tool', 'calc_echo'],
      ['model', null],
    ]);
  });
});

describe('core.agent MCP tools: untrusted listings and results', () => {
  it('sanitises names, caps descriptions and results, and reports a failing tool to the model', async () => {
    model.setScript([
      { toolCalls: [{ name: 'search_docs_v2', input: { query: 'retries' } }] },
      { toolCalls: [{ name: 'fail', input: { reason: 'on purpose' } }] },
      { text: 'done' },
    ]);
    const { view } = await runAgent(mcpAgent('claude', {}), { text: 'Search for retries' });
    expect(view.status).toBe('succeeded');
    const tools = offered(model.requests[0]?.body);
    expect(tools.map((tool) => tool.name).sort()).toEqual(['add', 'echo', 'fail', 'search_docs_v2']);
    const search = tools.find((tool) => tool.name === 'search_docs_v2');
    expect(search?.description.length).toBeLessThanOrEqual(1_100);
    expect(search?.description).not.toMatch(/\p{Cc}/u);
    expect(mcp.calls.map((call) => call.tool)).toEqual([HOSTILE_TOOL_NAME, 'fail']);
    const result = model.requests[1]?.normalized.toolResults[0]?.content ?? '';
    expect(result.length).toBeLessThan(21_000);
    expect(result).toContain('(cut)');
    expect(model.requests[2]?.normalized.toolResults[0]).toMatchObject({
      isError: true,
      content: expect.stringContaining('cannot do that: on purpose'),
    });
  });

  it('fails the step clearly when an allow-listed tool is not on the server', async () => {
    const { view } = await runAgent(mcpAgent('claude', { tools: ['add', 'multiply'] }), { text: 'hi' });
    expect(view.status).toBe('failed');
    expect(view.steps[0]?.error).toMatchObject({
      code: 'E_AGENT_MCP_TOOLS',
      message: expect.stringContaining('"multiply"'),
    });
    expect(model.requests).toHaveLength(0);
  });
});

describe('core.agent MCP tools with approveWrites', () => {
  it('waits for approval of an MCP call unless the declaration is readOnly', async () => {
    model.setScript([
      { toolCalls: [{ name: 'add', input: { a: 1, b: 1 } }] },
      (request) => ({ text: `sum: ${request.toolResults[0]?.content ?? ''}` }),
    ]);
    const { id } = await engine.workflows.create(
      mcpAgent('gpt', { tools: ['add'] }, { approveWrites: true }),
    );
    const { runId } = await startRun(db.sql, id, { text: '1 + 1?' });
    let pending: { id: string; message: string } | undefined;
    for (let tries = 0; tries < 300 && !pending; tries++) {
      const [row] = await db.sql`
        select a.id, a.message from approvals a join runs r on r.id = a.run_id
        where a.run_id = ${runId} and a.status = 'pending' and r.status = 'waiting'`;
      if (row) pending = { id: String(row.id), message: String(row.message) };
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(pending?.message).toContain('the MCP tool "add", which may write');
    expect(mcp.calls).toEqual([]);
    await decideApproval(
      db.sql,
      pending?.id ?? '',
      { decision: 'approve' },
      await ensureLocalOwner(db.sql, 'system'),
    );
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status).toBe('succeeded');
    expect(mcp.calls).toEqual([{ tool: 'add', arguments: { a: 1, b: 1 } }]);
    // The listing was recorded before the wait: the resumed step did not list again.
    expect(mcp.methods.filter((method) => method === 'tools/list')).toHaveLength(1);

    model.setScript([{ toolCalls: [{ name: 'add', input: { a: 2, b: 2 } }] }, { text: 'four' }]);
    const readOnly = await runAgent(
      mcpAgent('gpt', { tools: ['add'], readOnly: true }, { approveWrites: true }),
      { text: '2 + 2?' },
    );
    expect(readOnly.view.status).toBe('succeeded');
    expect(mcp.calls.at(-1)).toEqual({ tool: 'add', arguments: { a: 2, b: 2 } });
  });
});
