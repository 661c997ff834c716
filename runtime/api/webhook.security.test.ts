import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices } from '../services.ts';
import { signHookBody } from '../triggers/webhook-verify.ts';

let db: TestDatabase;
let app: FastifyInstance;
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

async function buildServer(env: NodeJS.ProcessEnv): Promise<FastifyInstance> {
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
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

async function runCount(workflowId: string): Promise<number> {
  const [row] = await db.sql`select count(*)::int as n from runs where workflow_id = ${workflowId}`;
  return Number(row?.n);
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 6 });
  app = await buildServer({});
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

describe('webhook signatures with a timestamp window', () => {
  it('accepts "<ts>.<raw body>" signatures inside 5 minutes and refuses stale, future and tampered ones', async () => {
    const { id, secret } = await createHook(app);
    const body = '{"n":1}';
    const post = (headers: Record<string, string>, payload = body) =>
      app.inject({ method: 'POST', url: `/hooks/${id}`, headers: { ...json, ...headers }, payload });
    const now = Math.floor(Date.now() / 1000);

    expect((await post(signHookBody(secret, body, now))).statusCode).toBe(202);
    expect((await post(signHookBody(secret, body, now - 290))).statusCode).toBe(202);

    const stale = await post(signHookBody(secret, body, now - 301));
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('E_STALE_SIGNATURE');
    expect(stale.json().error.message).toMatch(/\d+ s old; signatures are accepted for 300 s/);

    const future = await post(signHookBody(secret, body, now + 400));
    expect(future.statusCode).toBe(401);
    expect(future.json().error.message).toMatch(/in the future/);

    expect((await post(signHookBody(secret, body, now), '{"n":2}')).statusCode).toBe(401);
    expect((await post(signHookBody('not-the-secret', body, now))).statusCode).toBe(401);
    const garbage = await post({ 'x-vmesh-timestamp': 'yesterday', 'x-vmesh-signature': 'sha256=00' });
    expect(garbage.statusCode).toBe(401);
    expect(garbage.json().error.message).toMatch(/not a whole number of seconds/);

    // A replayed timestamped request cannot be turned into the plain form by changing its timestamp header.
    const signed = signHookBody(secret, body, now - 3_600);
    expect((await post({ ...signed, 'x-vmesh-timestamp': String(now) })).statusCode).toBe(401);
    expect(await runCount(id)).toBe(2);
  });

  it('keeps the plain contract: sha256=<HMAC of the body> without a timestamp, and x-vmesh-secret', async () => {
    const { id, secret } = await createHook(app);
    const body = '{"n":1}';
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const plainSigned = await app.inject({
      method: 'POST',
      url: `/hooks/${id}`,
      headers: { ...json, 'x-vmesh-signature': signature },
      payload: body,
    });
    expect(plainSigned.statusCode).toBe(202);
    // With a timestamp header, only the timestamped signature counts.
    const mixed = await app.inject({
      method: 'POST',
      url: `/hooks/${id}`,
      headers: {
        ...json,
        'x-vmesh-signature': signature,
        'x-vmesh-timestamp': String(Math.floor(Date.now() / 1000)),
      },
      payload: body,
    });
    expect(mixed.statusCode).toBe(401);
    const bySecret = await app.inject({
      method: 'POST',
      url: `/hooks/${id}`,
      headers: { ...json, 'x-vmesh-secret': secret },
      payload: body,
    });
    expect(bySecret.statusCode).toBe(202);
  });
});

describe('hook secret rotation', () => {
  it('issues a new secret; the old one works during the grace period and not after a revoking rotation', async () => {
    const { id, secret: first } = await createHook(app);
    const body = '{"rotate":true}';
    const post = (secret: string) =>
      app.inject({
        method: 'POST',
        url: `/hooks/${id}`,
        headers: { ...json, ...signHookBody(secret, body) },
        payload: body,
      });

    expect(
      (await app.inject({ method: 'POST', url: `/api/workflows/${id}/hook-secret/rotate` })).statusCode,
    ).toBe(401);
    const rotated = await app.inject({
      method: 'POST',
      url: `/api/workflows/${id}/hook-secret/rotate`,
      headers: { ...auth, ...json },
      payload: { graceSeconds: 600 },
    });
    expect(rotated.statusCode).toBe(200);
    const second = rotated.json().secret as string;
    expect(second).not.toBe(first);
    const until = Date.parse(rotated.json().previousSecretValidUntil as string);
    expect(until).toBeGreaterThan(Date.now() + 590_000);
    const shown = await app.inject({ method: 'GET', url: `/api/workflows/${id}`, headers: auth });
    expect(shown.json().hook.secret).toBe(second);

    expect((await post(second)).statusCode).toBe(202);
    expect((await post(first)).statusCode).toBe(202);
    expect((await post('never-issued')).statusCode).toBe(401);

    // The grace period ends: the previous secret no longer works (expiry moved into the past in the row).
    await db.sql`update webhook_secret_grace set expires_at = now() - interval '1 second' where workflow_id = ${id}`;
    const revoked = await app.inject({
      method: 'POST',
      url: `/api/workflows/${id}/hook-secret/rotate`,
      headers: { ...auth, ...json },
      payload: { graceSeconds: 0 },
    });
    expect(revoked.json().previousSecretValidUntil).toBeNull();
    const third = revoked.json().secret as string;
    expect((await post(first)).statusCode).toBe(401);
    expect((await post(second)).statusCode).toBe(401);
    expect((await post(third)).statusCode).toBe(202);

    const missing = await app.inject({
      method: 'POST',
      url: '/api/workflows/wf_nope/hook-secret/rotate',
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);
  });

  it('a rotation made by another process is picked up at once (cache re-read on a failed check)', async () => {
    const { id } = await createHook(app);
    const body = '{"x":1}';
    const send = (secret: string) =>
      app.inject({
        method: 'POST',
        url: `/hooks/${id}`,
        headers: { ...json, ...signHookBody(secret, body) },
        payload: body,
      });
    // Warm this process's workflow cache with the current secret.
    const { secret } = (
      await app.inject({ method: 'GET', url: `/api/workflows/${id}`, headers: auth })
    ).json().hook;
    expect((await send(secret)).statusCode).toBe(202);
    // Another process rotates: it writes the database and cannot touch this process's memory.
    const fresh = 'rotated-elsewhere-0123456789abcdef';
    await db.sql`
      with old as (select hook_secret from workflows where id = ${id})
      insert into webhook_secret_grace (workflow_id, secret, expires_at)
      select ${id}, hook_secret, now() + interval '1 hour' from old`;
    await db.sql`update workflows set hook_secret = ${fresh} where id = ${id}`;
    expect((await send(fresh)).statusCode).toBe(202);
    expect((await send(secret)).statusCode).toBe(202);
    expect((await send('never-issued')).statusCode).toBe(401);
  });
});

describe('delivery-id dedupe (24 h)', () => {
  it('X-GitHub-Delivery, webhook-id and Slack event_id: one run per id; the same body with a new id is a new run', async () => {
    const { id, secret } = await createHook(app);
    const send = (payload: string, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: `/hooks/${id}`,
        headers: { ...json, ...signHookBody(secret, payload), ...headers },
        payload,
      });
    const body = '{"same":"body"}';
    const gh1 = await send(body, { 'x-github-delivery': 'gh-1' });
    const gh1again = await send(body, { 'x-github-delivery': 'gh-1' });
    const gh2 = await send(body, { 'x-github-delivery': 'gh-2' });
    expect(gh1again.json().runId).toBe(gh1.json().runId);
    expect(gh2.json().runId).not.toBe(gh1.json().runId);

    const std1 = await send(body, { 'webhook-id': 'msg_1' });
    const std1again = await send('{"different":"body, same id"}', { 'webhook-id': 'msg_1' });
    expect(std1again.json().runId).toBe(std1.json().runId);

    const slack = (eventId: string) =>
      JSON.stringify({ type: 'event_callback', event_id: eventId, event: { text: 'hi' } });
    const ev1 = await send(slack('Ev01'));
    const ev1again = await send(slack('Ev01'));
    const ev2 = await send(slack('Ev02'));
    expect(ev1again.json().runId).toBe(ev1.json().runId);
    expect(ev2.json().runId).not.toBe(ev1.json().runId);

    // Without any id, every delivery is a run (the sender decides; nothing is guessed from the body).
    await send(body);
    await send(body);
    expect(await runCount(id)).toBe(2 + 1 + 2 + 2);
    const [dedupe] = await db.sql`select count(*)::int as n from run_dedupe where workflow_id = ${id}`;
    expect(Number(dedupe?.n)).toBe(5);
  });

  it('a delivery id older than 24 h starts a new run', async () => {
    const { id, secret } = await createHook(app);
    const body = '{"late":true}';
    const send = () =>
      app.inject({
        method: 'POST',
        url: `/hooks/${id}`,
        headers: { ...json, ...signHookBody(secret, body), 'x-github-delivery': 'old-1' },
        payload: body,
      });
    const first = await send();
    await db.sql`update run_dedupe set created_at = now() - interval '25 hours' where workflow_id = ${id}`;
    const later = await send();
    expect(later.json().runId).not.toBe(first.json().runId);
    expect(await runCount(id)).toBe(2);
  });
});
