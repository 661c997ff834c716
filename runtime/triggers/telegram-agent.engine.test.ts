import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createHttpServer } from '../../app/server.ts';
import {
  builtinConnectors,
  createCredentialStore,
  credentialTypesOf,
  loadSecretKey,
} from '../../connectors/index.ts';
import { startTelegramFake, type TelegramFake } from '../../connectors/telegram/fake-server.ts';
import { findFreePort } from '../../db/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

// "Answer Telegram messages with an agent that can look up orders over HTTP and remembers the chat", end to end:
// activating the workflow registers the bot's webhook at the Telegram fake (setWebhook with our secret token), the
// fake's updates come in through the real HTTP server, the real worker runs core.agent against the scripted model
// (tool call to a local orders API, memory per chat in Postgres), and telegram.sendMessage answers in the chat.

let db: TestDatabase;
let telegram: TelegramFake;
let model: ScriptedModelServer;
let orders: Server;
let ordersBase = '';
let engine: EngineServices;
let app: FastifyInstance;
let worker: EngineWorker;
let publicUrl = '';
const apiToken = 'test-token-0123456789abcdef';
const modelKey = 'sk-scripted-model-key-telegram';
const shopToken = 'shop-token-canary-0815';

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await app.inject({
    method: method as 'GET',
    url: path,
    headers: {
      authorization: `Bearer ${apiToken}`,
      host: new URL(publicUrl).host,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  expect(response.statusCode, `${method} ${path}: ${response.body}`).toBeLessThan(300);
  return response.json();
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  telegram = await startTelegramFake();
  model = await startScriptedModelServer({ requireApiKey: modelKey });
  orders = createServer((request, response) => {
    const id = /^\/orders\/(\d+)$/.exec(request.url ?? '')?.[1];
    const known = request.headers.authorization === `Bearer ${shopToken}` && id === '1042';
    response.writeHead(known ? 200 : 404, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify(known ? { id: 1042, status: 'shipped', carrier: 'DHL' } : { error: 'no such order' }),
    );
  });
  await new Promise<void>((resolve) => orders.listen(0, '127.0.0.1', resolve));
  ordersBase = `http://127.0.0.1:${(orders.address() as AddressInfo).port}`;
  const port = await findFreePort();
  publicUrl = `http://127.0.0.1:${port}`;
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  const env = {
    VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    VMESH_PUBLIC_URL: publicUrl,
  };
  engine = await createEngineServices(database, { env, connectors: builtinConnectors });
  engine.deps.connectorEnv.baseUrls.telegram = telegram.url;
  const credentials = createCredentialStore({
    sql: db.sql,
    key: await loadSecretKey({ dataDir: '/nonexistent', env }),
    types: credentialTypesOf(builtinConnectors),
  });
  await credentials.set('telegram', 'telegram', { botToken: telegram.botToken });
  await credentials.set('claude', 'llm', {
    provider: 'anthropic',
    apiKey: modelKey,
    baseUrl: model.anthropicBaseUrl,
    model: 'claude-test',
  });
  await credentials.set('shop', 'http', { scheme: 'bearer', token: shopToken });
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken, publicUrl },
  });
  engine.registerHttp(app, { publicUrl });
  await app.listen({ host: '127.0.0.1', port });
  worker = await engine.startWorker({ concurrency: 4 });
});

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await telegram?.close();
  await model?.close();
  orders?.closeAllConnections();
  await new Promise((resolve) => orders?.close(resolve));
  await db?.drop();
});

const document = {
  schemaVersion: 1,
  name: 'telegram order agent',
  trigger: { type: 'telegram.message', credential: 'telegram' },
  nodes: [
    {
      id: 'agent',
      uses: 'core.agent',
      credential: 'claude',
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
        memory: { key: 'telegram:{{ trigger.chatId }}', window: 10 },
      },
    },
    {
      id: 'reply',
      uses: 'telegram.sendMessage',
      credential: 'telegram',
      with: {
        chatId: '{{ trigger.chatId }}',
        text: '{{ steps.agent.output.text }}',
        replyToMessageId: '{{ trigger.messageId }}',
      },
    },
  ],
  edges: [{ from: 'agent', to: 'reply' }],
};

const update = (updateId: number, messageId: number, text: string) => ({
  update_id: updateId,
  message: {
    message_id: messageId,
    date: 1_764_840_000,
    chat: { id: telegram.chatId, type: 'private', first_name: 'Ana' },
    from: { id: telegram.chatId, is_bot: false, first_name: 'Ana', username: 'ana', language_code: 'en' },
    text,
  },
});

/** What Telegram does with an update: POST it to the registered webhook with the secret token header. */
async function deliver(
  body: unknown,
  secret: string | undefined,
): Promise<{ status: number; runId?: string }> {
  const hook = telegram.webhook();
  if (!hook) throw new Error('no webhook registered');
  const response = await fetch(hook.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}),
    },
    body: JSON.stringify(body),
  });
  const answer = z
    .object({ runId: z.string().optional() })
    .loose()
    .safeParse(await response.json().catch(() => ({})));
  return {
    status: response.status,
    ...(answer.success && answer.data.runId ? { runId: answer.data.runId } : {}),
  };
}

describe('a Telegram support bot built from telegram.message, core.agent and telegram.sendMessage', () => {
  it('registers its webhook, answers from an order lookup, remembers the chat, and refuses unsigned updates', async () => {
    const created = await api('POST', '/api/workflows', { document });
    const id = String(created.id);
    await api('POST', `/api/workflows/${id}/activate`, {});
    await expect
      .poll(() => telegram.webhook()?.url, { timeout: 20_000, interval: 50 })
      .toBe(`${publicUrl}/hooks/${id}`);
    const hook = telegram.webhook();
    expect(hook?.allowedUpdates).toEqual(['message', 'callback_query']);
    const secret = hook?.secretToken;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32,256}$/);

    // Without the secret token Telegram puts in the header, nothing runs.
    expect((await deliver(update(9001, 40, 'Where is my order 1042?'), undefined)).status).toBe(401);
    expect((await deliver(update(9001, 40, 'Where is my order 1042?'), 'not-the-secret')).status).toBe(401);

    model.setScript([
      { toolCalls: [{ name: 'get_order', input: { url: `${ordersBase}/orders/1042` } }] },
      (request) => ({
        text: (request.toolResults[0]?.content ?? '').includes('shipped')
          ? 'Order 1042 has shipped with DHL.'
          : 'I could not find it.',
      }),
    ]);
    const first = await deliver(update(9001, 40, 'Where is my order 1042?'), secret);
    expect(first.status).toBe(202);
    const firstRun = await waitForRun(db.sql, String(first.runId), { timeoutMs: 30_000 });
    expect(firstRun.status, JSON.stringify(firstRun.steps)).toBe('succeeded');
    expect(telegram.sent(telegram.chatId).at(-1)).toMatchObject({
      text: 'Order 1042 has shipped with DHL.',
      reply_to: 40,
    });
    // Telegram redelivers an update it got no answer for: the same update_id starts no second run.
    const again = await deliver(update(9001, 40, 'Where is my order 1042?'), secret);
    expect(again.runId).toBe(first.runId);

    const before = model.requests.length;
    model.setScript([{ text: 'It is with DHL, as I said: order 1042 has shipped.' }]);
    const second = await deliver(update(9002, 41, 'And which carrier was that?'), secret);
    const secondRun = await waitForRun(db.sql, String(second.runId), { timeoutMs: 30_000 });
    expect(secondRun.status, JSON.stringify(secondRun.steps)).toBe('succeeded');
    // The model saw the earlier turn of this chat: the memory is keyed by the Telegram chat.
    const remembered = model.requests
      .slice(before)
      .map((request) => request.rawBody)
      .join('\n');
    expect(remembered).toContain('Where is my order 1042?');
    expect(remembered).toContain('Order 1042 has shipped with DHL.');
    expect(telegram.sent(telegram.chatId).at(-1)).toMatchObject({ reply_to: 41 });
    // Neither the bot token nor the shop's token reached the model or the run records.
    expect(model.requests.map((request) => request.rawBody).join('\n')).not.toContain(shopToken);
    const stored = JSON.stringify(
      await db.sql`select * from steps where run_id in (${String(first.runId)}, ${String(second.runId)})`,
    );
    expect(stored).not.toContain(telegram.botToken);
    expect(stored).not.toContain(shopToken);

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await expect.poll(() => telegram.webhook(), { timeout: 20_000, interval: 50 }).toBeUndefined();
  });
});
