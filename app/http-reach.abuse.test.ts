import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { signHookBody } from '../runtime/triggers/webhook-verify.ts';
import { type RunningApp, startApp } from './start.ts';
import { rawRequest } from './testing/raw-http.ts';

// Path tricks against the app as `npm start` runs it (with a token), over real HTTP with the path sent verbatim:
// every spelling of a route is that route, so it meets the route's guards (token, rate limit, content type).
let db: TestDatabase;
let app: RunningApp;
/** The same app on the same database with low limits (3 per window), for the rate-limit checks. */
let limited: RunningApp;
const token = 'reach-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}` };
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_NO_WORKER: '1',
    VMESH_API_TOKEN: token,
    VMESH_SECRET_KEY: Buffer.alloc(32, 13).toString('base64'),
  };
  app = await startApp(env);
  limited = await startApp({ ...env, VMESH_RATE_LIMIT_API: '3', VMESH_RATE_LIMIT_HOOKS: '3' });
}, 60_000);
afterAll(async () => {
  await limited?.stop();
  await app?.stop();
  await db?.drop();
});

type Options = { method?: string; headers?: Record<string, string>; body?: string };
const send = (path: string, options: Options = {}) => rawRequest(app.url, { path, ...options });
const sendLimited = (path: string, options: Options = {}) => rawRequest(limited.url, { path, ...options });

/** Each call a fresh bearer (its own rate-limit bucket), so the limit never answers for the check under test. */
let bearer = 0;
const stranger = () => ({ authorization: `Bearer stranger-${++bearer}` });

async function createHook(): Promise<{ id: string; secret: string }> {
  const document = {
    schemaVersion: 1,
    name: 'reach',
    trigger: { type: 'webhook' },
    nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
    edges: [],
  };
  const created = await fetch(`${app.url}/api/workflows`, {
    method: 'POST',
    headers: { ...json, ...auth },
    body: JSON.stringify({ document }),
  });
  const { id } = (await created.json()) as { id: string };
  await fetch(`${app.url}/api/workflows/${id}/activate`, { method: 'POST', headers: auth });
  const shown = (await (await fetch(`${app.url}/api/workflows/${id}`, { headers: auth })).json()) as {
    hook: { secret: string };
  };
  return { id, secret: shown.hook.secret };
}

const encodeFirst = (segment: string) =>
  `%${segment.charCodeAt(0).toString(16).padStart(2, '0')}${segment.slice(1)}`;

/** Spellings of one path that a router may decode, collapse or fold onto it. */
function spellingsOf(path: string): string[] {
  const [, first = '', ...rest] = path.split('/');
  const tail = rest.length ? `/${rest.join('/')}` : '';
  return [
    `/${encodeFirst(first)}${tail}`,
    `/${first}${tail.replace('/', '%2F')}`,
    `/${first}${tail.replace('/', '%2f')}`,
    `/${path}`,
    `/.${path}`,
    `/${first}/.${tail}`,
    `/${first}/x/..${tail}`,
    `/${first}//${tail.slice(1)}`,
    `/${first.toUpperCase()}${tail}`,
    `${path}/`,
    `${path}%20`,
    `${path}%00`,
    `${path};x`,
    `${path}?x=1`,
    `${path}#x`,
    `/${first}${tail.replace(/\/(.)/g, (_match, char: string) => `/${encodeFirst(char)}`)}`,
  ].filter((spelling) => spelling !== path);
}

/** What a spelling may get instead of the guard's answer: not routed (404) or not even a URL (400). */
const REFUSED = [400, 401, 404];

describe('every spelling of a route meets its guards', () => {
  it('/api: without the token, every spelling gets 401 or 404, never a handler', async () => {
    for (const path of ['/api/workflows', '/api/runs']) {
      for (const spelling of spellingsOf(path)) {
        const response = await send(spelling, { headers: stranger() });
        expect(REFUSED, `${spelling} → ${response.status}`).toContain(response.status);
      }
    }
    // The right token on the plain path still works.
    expect((await send('/api/workflows', { headers: auth })).status).toBe(200);
  });

  it('/api: a non-JSON body gets 415 however the path is spelled', async () => {
    for (const spelling of ['/%61pi/workflows', '/api/%77orkflows', '/api/workflows?x=1', '/api/workflows']) {
      const response = await send(spelling, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/plain' },
        body: '{"document":{}}',
      });
      expect(response.status, spelling).toBe(415);
      expect(JSON.parse(response.body).error.code).toBe('E_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('/api: the rate limit counts every spelling in one bucket', async () => {
    const key = stranger();
    const statuses = [];
    for (const spelling of ['/%61pi/workflows', '/api/%77orkflows', '/api/workflows?a=1', '/%61pi/runs']) {
      statuses.push((await sendLimited(spelling, { headers: key })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('/chat/api: without the token, every spelling gets 401 or 404', async () => {
    for (const spelling of spellingsOf('/chat/api/workflows')) {
      const response = await send(spelling, { headers: stranger() });
      expect(REFUSED, `${spelling} → ${response.status}`).toContain(response.status);
    }
  });

  it('/mcp: without the token, every spelling gets 401 or 404', async () => {
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-03-26',
        capabilities: {},
        clientInfo: { name: 'abuse', version: '1' },
      },
    });
    for (const spelling of [
      '/%6dcp',
      '/mcp/',
      '//mcp',
      '/./mcp',
      '/MCP',
      '/mcp?x=1',
      '/mcp%20',
      '/x/../mcp',
    ]) {
      const response = await send(spelling, {
        method: 'POST',
        headers: { ...stranger(), ...json, accept: 'application/json, text/event-stream' },
        body: initialize,
      });
      expect(REFUSED, `${spelling} → ${response.status}`).toContain(response.status);
    }
  });

  it('/hooks: unsigned deliveries get 401 or 404 on every spelling; signed ones share one bucket', async () => {
    const hook = await createHook();
    for (const spelling of spellingsOf(`/hooks/${hook.id}`)) {
      const response = await send(spelling, { method: 'POST', headers: json, body: '{}' });
      expect(REFUSED, `${spelling} → ${response.status}`).toContain(response.status);
    }
    const fresh = await createHook();
    const statuses = [];
    for (const spelling of [
      `/hooks/${fresh.id}`,
      `/hooks/${encodeFirst(fresh.id)}`,
      `/%68ooks/${fresh.id}`,
      `/hooks/${fresh.id}?x=1`,
    ]) {
      const response = await sendLimited(spelling, {
        method: 'POST',
        headers: { ...json, ...signHookBody(fresh.secret, '{}') },
        body: '{}',
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
    const [row] = await db.sql`select count(*)::int as n from runs where workflow_id = ${fresh.id}`;
    expect(row?.n).toBe(3);
  });
});

describe('replayed webhook signatures', () => {
  it('a timestamped delivery replayed as the untimestamped form gets 401, in every spelling of its MAC input', async () => {
    const hook = await createHook();
    const body = '{"amount":100}';
    const captured = signHookBody(hook.secret, body);
    const timestamp = captured['x-vmesh-timestamp'];
    expect(
      (await send(`/hooks/${hook.id}`, { method: 'POST', headers: { ...json, ...captured }, body })).status,
    ).toBe(202);
    // Drop the timestamp header and send the MAC input itself as the body, signed by the captured signature.
    for (const replayed of [`v1:${timestamp}.${body}`, `${timestamp}.${body}`]) {
      for (const type of ['text/plain', 'application/octet-stream', '']) {
        const response = await send(`/hooks/${hook.id}`, {
          method: 'POST',
          headers: {
            ...(type ? { 'content-type': type } : {}),
            'x-vmesh-signature': captured['x-vmesh-signature'],
          },
          body: replayed,
        });
        expect(response.status, `${replayed} as ${type || 'no type'}`).toBe(401);
      }
    }
    // A captured delivery older than the window is refused too, however fresh the header claims to be.
    const old = signHookBody(hook.secret, body, Math.floor(Date.now() / 1000) - 301);
    const stale = await send(`/hooks/${hook.id}`, { method: 'POST', headers: { ...json, ...old }, body });
    expect(stale.status).toBe(401);
    expect(JSON.parse(stale.body).error.code).toBe('E_STALE_SIGNATURE');
    const [row] = await db.sql`select count(*)::int as n from runs where workflow_id = ${hook.id}`;
    expect(row?.n).toBe(1);
  });

  it('the plain form still works for bodies that cannot be a timestamped MAC input', async () => {
    const hook = await createHook();
    for (const body of ['{"n":1}', 'plain text', '3 items', 'v1 rocks']) {
      const signature = `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`;
      const response = await send(`/hooks/${hook.id}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-vmesh-signature': signature },
        body,
      });
      expect(response.status, body).toBe(202);
    }
  });
});
