import { createServer, type Server, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlClient } from '../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createEngineServices } from '../runtime/services.ts';
import { signHookBody } from '../runtime/triggers/webhook-verify.ts';
import { createHttpServer } from './server.ts';

let db: TestDatabase;
const token = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}` };
const json = { 'content-type': 'application/json' };
const plain = {
  schemaVersion: 1,
  name: 'plain',
  trigger: { type: 'webhook' },
  nodes: [{ id: 'a', uses: 'core.transform', with: { value: '{{ trigger.body }}' } }],
  edges: [],
};

async function buildServer(env: NodeJS.ProcessEnv, sql = db.sql, url = db.url): Promise<FastifyInstance> {
  const database = { sql, url, kind: 'external' as const, close: async () => {} };
  const server = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env,
    // inject sends Host: localhost:80.
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  const engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') },
    connectors: [],
  });
  engine.registerHttp(server, { publicUrl: 'http://127.0.0.1:3000' });
  return server;
}

async function createHook(server: FastifyInstance): Promise<{ id: string; secret: string }> {
  const created = await server.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: auth,
    payload: { document: plain },
  });
  const { id } = created.json() as { id: string };
  await server.inject({ method: 'POST', url: `/api/workflows/${id}/activate`, headers: auth });
  const shown = await server.inject({ method: 'GET', url: `/api/workflows/${id}`, headers: auth });
  return { id, secret: shown.json().hook.secret as string };
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
});
afterAll(async () => {
  await db.drop();
});

describe('rate limits', () => {
  it('hooks are limited per workflow: 429 with Retry-After, another workflow still accepted', async () => {
    const app = await buildServer({ VMESH_RATE_LIMIT_HOOKS: '3', VMESH_RATE_LIMIT_API: '0' });
    try {
      const noisy = await createHook(app);
      const quiet = await createHook(app);
      const post = (hook: { id: string; secret: string }) =>
        app.inject({
          method: 'POST',
          url: `/hooks/${hook.id}`,
          headers: { ...json, ...signHookBody(hook.secret, '{}') },
          payload: '{}',
        });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(noisy)).statusCode);
      expect(statuses).toEqual([202, 202, 202, 429]);
      const limited = await post(noisy);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.json().error).toMatchObject({ code: 'E_RATE_LIMITED' });
      expect(limited.json().error.hint).toMatch(/VMESH_RATE_LIMIT_HOOKS/);
      expect((await post(quiet)).statusCode).toBe(202);
      // Only the three accepted deliveries made runs.
      const [row] = await db.sql`select count(*)::int as n from runs where workflow_id = ${noisy.id}`;
      expect(Number(row?.n)).toBe(3);
    } finally {
      await app.close();
    }
  });

  it('resume URLs are limited per client: guessing tokens gets 429 after VMESH_RATE_LIMIT_HOOKS calls', async () => {
    const app = await buildServer({ VMESH_RATE_LIMIT_HOOKS: '3', VMESH_RATE_LIMIT_API: '0' });
    try {
      const guess = (index: number) =>
        app.inject({
          method: 'POST',
          url: `/resume/${String(index).padStart(43, 'A')}`,
          headers: json,
          payload: '{}',
        });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await guess(i)).statusCode);
      expect(statuses).toEqual([404, 404, 404, 429]);
      expect((await guess(9)).json().error.code).toBe('E_RATE_LIMITED');
    } finally {
      await app.close();
    }
  });

  it('connect links and the OAuth2 callback are limited per client: guessing tokens or states gets 429', async () => {
    const app = await buildServer({ VMESH_RATE_LIMIT_HOOKS: '3', VMESH_RATE_LIMIT_API: '0' });
    try {
      const guess = (index: number) =>
        index % 2 === 0
          ? app.inject({ method: 'GET', url: `/connect/${String(index).padStart(32, 'A')}` })
          : app.inject({
              method: 'GET',
              url: `/oauth/callback?code=c&state=${String(index).padStart(32, 'A')}`,
            });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await guess(i)).statusCode);
      expect(statuses).toEqual([410, 400, 410, 429]);
    } finally {
      await app.close();
    }
  });

  it('guessing a verify "token" secret in /hooks/:workflowId/:token is limited with the workflow\'s hooks', async () => {
    const app = await buildServer({ VMESH_RATE_LIMIT_HOOKS: '3', VMESH_RATE_LIMIT_API: '0' });
    try {
      const created = await app.inject({
        method: 'POST',
        url: '/api/workflows',
        headers: auth,
        payload: { document: { ...plain, trigger: { type: 'webhook', with: { verify: 'token' } } } },
      });
      const { id } = created.json() as { id: string };
      await app.inject({ method: 'POST', url: `/api/workflows/${id}/activate`, headers: auth });
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const guess = await app.inject({
          method: 'POST',
          url: `/hooks/${id}/guess-${i}`,
          headers: json,
          payload: '{}',
        });
        statuses.push(guess.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await app.close();
    }
  });

  it('the API is limited per bearer token (or IP without one)', async () => {
    const app = await buildServer({ VMESH_RATE_LIMIT_API: '2', VMESH_RATE_LIMIT_HOOKS: '0' });
    try {
      const get = (headers: Record<string, string>) =>
        app.inject({ method: 'GET', url: '/api/workflows', headers });
      expect((await get(auth)).statusCode).toBe(200);
      expect((await get(auth)).statusCode).toBe(200);
      const limited = await get(auth);
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['retry-after']).toBeDefined();
      // A different key (another token, here a wrong one) has its own budget: 401, not 429.
      expect((await get({ authorization: 'Bearer someone-else-entirely' })).statusCode).toBe(401);
      // Health checks are not limited.
      for (let i = 0; i < 4; i++) expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('limits are configured by env and refuse nonsense', async () => {
    await expect(buildServer({ VMESH_RATE_LIMIT_API: 'lots' })).rejects.toThrow(/VMESH_RATE_LIMIT_API/);
  });
});

describe('body guards', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildServer({});
  });
  afterAll(async () => {
    await app.close();
  });

  it('API: over 1 MB → 413, a non-JSON body → 415, __proto__ / constructor.prototype → 400', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: { ...auth, ...json },
      payload: JSON.stringify({ document: { pad: 'x'.repeat(1024 * 1024) } }),
    });
    expect(big.statusCode).toBe(413);
    const text = await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: JSON.stringify({ document: plain }),
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('E_UNSUPPORTED_MEDIA_TYPE');
    const form = await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'document=1',
    });
    expect(form.statusCode).toBe(415);
    for (const payload of [
      '{"document":{},"__proto__":{"polluted":true}}',
      '{"document":{"constructor":{"prototype":{"polluted":true}}}}',
    ]) {
      const poisoned = await app.inject({
        method: 'POST',
        url: '/api/workflows',
        headers: { ...auth, ...json },
        payload,
      });
      expect(poisoned.statusCode).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('hooks: __proto__ and constructor.prototype keys are stripped (also when spelled with \\u escapes)', async () => {
    const { id, secret } = await createHook(app);
    const payload =
      '{"ok":1,"__proto__":{"polluted":true},"\\u005f_proto__":{"polluted":2},"nested":{"constructor":{"prototype":{"polluted":3}},"keep":"yes"}}';
    const response = await app.inject({
      method: 'POST',
      url: `/hooks/${id}`,
      headers: { ...json, ...signHookBody(secret, payload) },
      payload,
    });
    expect(response.statusCode).toBe(202);
    const [run] = await db.sql`select trigger from runs where id = ${response.json().runId}`;
    const body = (run?.trigger as { body: Record<string, unknown> } | undefined)?.body ?? {};
    expect(body).toEqual({ ok: 1, nested: { keep: 'yes' } });
    expect(Object.hasOwn(body, '__proto__')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('hooks: over 1 MB → 413; any content type is accepted (vendors send forms and text)', async () => {
    const { id, secret } = await createHook(app);
    const big = 'x'.repeat(1024 * 1024 + 1);
    const tooBig = await app.inject({
      method: 'POST',
      url: `/hooks/${id}`,
      headers: { 'content-type': 'text/plain', ...signHookBody(secret, big) },
      payload: big,
    });
    expect(tooBig.statusCode).toBe(413);
    const form = 'a=1&b=2';
    const ok = await app.inject({
      method: 'POST',
      url: `/hooks/${id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signHookBody(secret, form) },
      payload: form,
    });
    expect(ok.statusCode).toBe(202);
  });
});

/** A TCP proxy in front of the test database that can be cut, to take the database away from a live server. */
async function startCuttableProxy(target: URL): Promise<{ url: string; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    upstream.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = new URL(target.toString());
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

describe('database down', () => {
  it('the hook answers 503 (never 2xx) and stores nothing, with the workflow cached or not', async () => {
    const proxy = await startCuttableProxy(new URL(db.url));
    const sql = createSqlClient(proxy.url, { max: 2 });
    const app = await buildServer({}, sql, proxy.url);
    try {
      const { id, secret } = await createHook(app);
      const cold = await createHook(app);
      const body = '{"n":1}';
      const post = (hook: { id: string; secret: string }, delivery: string) =>
        app.inject({
          method: 'POST',
          url: `/hooks/${hook.id}`,
          headers: { ...json, ...signHookBody(hook.secret, body), 'x-github-delivery': delivery },
          payload: body,
        });
      expect((await post({ id, secret }, 'warm')).statusCode).toBe(202);
      await proxy.cut();
      const cached = await post({ id, secret }, 'while-down');
      expect(cached.statusCode).toBe(503);
      expect(cached.json().error).toMatchObject({ code: 'E_UNAVAILABLE' });
      expect(cached.json().error.message).toMatch(/nothing was stored/);
      // A workflow this process has not cached yet: the lookup itself fails.
      const uncached = await post(cold, 'cold');
      expect(uncached.statusCode).toBe(503);
      const api = await app.inject({ method: 'GET', url: '/api/workflows', headers: auth });
      expect(api.statusCode).toBe(503);
      const [row] = await db.sql`select count(*)::int as n from runs where workflow_id = ${id}`;
      expect(Number(row?.n)).toBe(1);
    } finally {
      await app.close();
      await sql.end({ timeout: 1 });
    }
  });
});
