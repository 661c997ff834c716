import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ScriptedModelServer,
  type ScriptedTurn,
  type ScriptRequest,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import {
  createCredentialStore,
  httpConnector,
  llmConnector,
  mcpConnector,
  parseSecretKey,
} from '../../connectors/index.ts';
import { type McpFake, startMcpFake } from '../../connectors/mcp/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { getRunView, waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import { spawnWorker, type WorkerChild } from './testing/spawn-worker.ts';

// core.agent under kill -9: a real worker process is killed while the model answers the loop's second turn
// (after the first tool call was recorded); the next worker resumes the step from its recorded sub-steps.

const secretKey = Buffer.alloc(32, 13).toString('base64');
const apiKey = 'sk-scripted-chaos-key-0123456789';
let db: TestDatabase;
let engine: EngineServices;
let model: ScriptedModelServer;
let orders: Server;
let mcp: McpFake;
let ordersBase = '';
const orderCalls: string[] = [];
const children: WorkerChild[] = [];

function handleOrders(request: IncomingMessage, response: ServerResponse): void {
  const path = request.url ?? '/';
  orderCalls.push(path);
  const id = Number(/^\/orders\/(\d+)$/.exec(path)?.[1] ?? 0);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ order: id, status: id === 1 ? 'shipped' : 'pending' }));
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  model = await startScriptedModelServer({ requireApiKey: apiKey });
  mcp = await startMcpFake({ token: 'mcp-chaos-token' });
  orders = createServer(handleOrders);
  await new Promise<void>((resolve) => orders.listen(0, '127.0.0.1', resolve));
  const address = orders.address();
  ordersBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' } },
  );
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: [httpConnector.credential, llmConnector.credential, mcpConnector.credential].flatMap((type) =>
      type ? [type] : [],
    ),
  });
  await credentials.set('calc', 'mcp', { bearerToken: 'mcp-chaos-token' });
  await credentials.set('claude', 'llm', {
    provider: 'anthropic',
    apiKey,
    baseUrl: model.anthropicBaseUrl,
    model: 'claude-test',
  });
});

/** Stops the workers the earlier cases started, so the next case's victim is the one that takes its step. */
async function killWorkers(): Promise<void> {
  for (const { child, exited } of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

afterAll(async () => {
  await killWorkers();
  await model?.close();
  await mcp?.close();
  await new Promise((resolve) => orders?.close(resolve));
  await db?.drop();
});

async function worker(): Promise<WorkerChild> {
  const spawned = await spawnWorker({
    DATABASE_URL: db.url,
    VMESH_SECRET_KEY: secretKey,
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    CHAOS_LEASE_MS: '2000',
  });
  children.push(spawned);
  return spawned;
}

describe('core.agent under kill -9', () => {
  it('resumes the loop after the worker is killed mid-loop; the finished tool call is not repeated', async () => {
    let victim: WorkerChild | undefined;
    let armed = true;
    /** Looks up order 1, then order 2, then answers; kills the first worker while it asks for turn two. */
    const turn = (request: ScriptRequest): ScriptedTurn => {
      const result = request.toolResults.at(-1)?.content ?? '';
      if (!result) return { toolCalls: [{ name: 'get_order', input: { url: `${ordersBase}/orders/1` } }] };
      if (result.includes('"order":1')) {
        if (armed) {
          armed = false;
          victim?.child.kill('SIGKILL');
        }
        return { toolCalls: [{ name: 'get_order', input: { url: `${ordersBase}/orders/2` } }] };
      }
      return { text: 'Order 1 has shipped; order 2 is pending.' };
    };
    model.setScript(Array.from({ length: 10 }, () => turn));
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'agent under kill -9',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'answer',
          uses: 'core.agent',
          credential: 'claude',
          retry: { maxAttempts: 3, initialDelayMs: 100 },
          with: {
            prompt: '{{ trigger.text }}',
            tools: [{ uses: 'http.request', name: 'get_order', with: { method: 'GET' } }],
          },
        },
      ],
      edges: [],
    });
    victim = await worker();
    const { runId } = await startRun(db.sql, id, { text: 'How are orders 1 and 2?' });
    expect((await victim.exited).signal).toBe('SIGKILL');
    expect(armed).toBe(false);
    const [recorded] = await db.sql`
      select count(*)::int as n from agent_calls where run_id = ${runId} and kind = 'tool'`;
    expect(recorded?.n).toBe(1);

    await worker();
    const view = await waitForRun(db.sql, runId, { timeoutMs: 60_000 });
    expect(view.status).toBe('succeeded');
    expect(view.output).toMatchObject({ text: 'Order 1 has shipped; order 2 is pending.', toolCalls: 2 });
    // Order 1 was looked up once: its recorded result was reused after the crash.
    expect(orderCalls.filter((path) => path === '/orders/1')).toHaveLength(1);
    expect(orderCalls.filter((path) => path === '/orders/2')).toHaveLength(1);
    // The first turn was not asked again; the turn cut off by the crash was.
    const firstTurns = model.requests.filter((request) => request.normalized.toolResults.length === 0);
    expect(firstTurns).toHaveLength(1);
    expect(model.requests).toHaveLength(4);
    const step = (await getRunView(db.sql, runId)).steps.find((candidate) => candidate.id === 'answer');
    expect(step?.attempt).toBe(2);
    expect(step?.subSteps?.map((sub) => sub.kind)).toEqual(['model', 'tool', 'model', 'tool', 'model']);
  }, 120_000);

  it('resumes a loop with MCP tools: the listing and the finished MCP call are not repeated', async () => {
    let victim: WorkerChild | undefined;
    let armed = true;
    await killWorkers();
    model.setScript([]);
    model.requests.length = 0;
    /** Adds 1 + 2, then 3 + 4, then answers; kills the first worker while it asks for turn two. */
    const turn = (request: ScriptRequest): ScriptedTurn => {
      const result = request.toolResults.at(-1)?.content ?? '';
      if (!result) return { toolCalls: [{ name: 'add', input: { a: 1, b: 2 } }] };
      if (result.includes('"sum":3')) {
        if (armed) {
          armed = false;
          victim?.child.kill('SIGKILL');
        }
        return { toolCalls: [{ name: 'add', input: { a: 3, b: 4 } }] };
      }
      return { text: '3 and 7.' };
    };
    model.setScript(Array.from({ length: 10 }, () => turn));
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'mcp agent under kill -9',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'answer',
          uses: 'core.agent',
          credential: 'claude',
          retry: { maxAttempts: 3, initialDelayMs: 100 },
          with: {
            prompt: '{{ trigger.text }}',
            tools: [{ mcp: 'calc', server: { transport: 'http', url: mcp.url }, tools: ['add'] }],
          },
        },
      ],
      edges: [],
    });
    victim = await worker();
    const { runId } = await startRun(db.sql, id, { text: '1 + 2 and 3 + 4?' });
    expect((await victim.exited).signal).toBe('SIGKILL');
    expect(armed).toBe(false);

    await worker();
    const view = await waitForRun(db.sql, runId, { timeoutMs: 60_000 });
    expect(view.status).toBe('succeeded');
    expect(view.output).toMatchObject({ text: '3 and 7.', toolCalls: 2 });
    // 1 + 2 ran once (its recorded result was reused), and the tools were listed once.
    expect(mcp.calls).toEqual([
      { tool: 'add', arguments: { a: 1, b: 2 } },
      { tool: 'add', arguments: { a: 3, b: 4 } },
    ]);
    expect(mcp.methods.filter((method) => method === 'tools/list')).toHaveLength(1);
    const step = (await getRunView(db.sql, runId)).steps.find((candidate) => candidate.id === 'answer');
    expect(step?.attempt).toBe(2);
    expect(step?.subSteps?.map((sub) => sub.kind)).toEqual([
      'listing',
      'model',
      'tool',
      'model',
      'tool',
      'model',
    ]);
  }, 120_000);
});
