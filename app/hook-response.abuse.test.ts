import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { signHookBody } from '../runtime/triggers/webhook-verify.ts';
import { type RunningApp, startApp } from './start.ts';

// What a webhook caller can make core.respond answer, through the app as `npm start` runs it (its worker runs the
// steps): the hook URL shares the web chat's origin, so its answers must never set cookies, open CORS, split
// headers or render as a page there.
let db: TestDatabase;
let app: RunningApp;
const json = { 'content-type': 'application/json' };
const TOKEN = 'hook-response-token-0123456789';
/** The API needs a credential: these tests are the owner through the shared token. */
const owner = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_SECRET_KEY: Buffer.alloc(32, 19).toString('base64'),
  };
  delete env.VMESH_PUBLIC_URL;
  app = await startApp({ ...env, VMESH_API_TOKEN: TOKEN });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

const responder = (respondWith: Record<string, unknown>) => ({
  schemaVersion: 1,
  name: 'responder',
  trigger: { type: 'webhook' },
  nodes: [{ id: 'answer', uses: 'core.respond', retry: { maxAttempts: 1 }, with: respondWith }],
  edges: [],
});

async function create(document: unknown): Promise<Response> {
  return fetch(`${app.url}/api/workflows`, {
    method: 'POST',
    headers: { ...json, ...owner },
    body: JSON.stringify({ document }),
  });
}

async function activeHook(document: unknown): Promise<{ id: string; secret: string }> {
  const created = await create(document);
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await fetch(`${app.url}/api/workflows/${id}/activate`, { method: 'POST', headers: owner });
  const shown = (await (await fetch(`${app.url}/api/workflows/${id}`, { headers: owner })).json()) as {
    hook: { secret: string };
  };
  return { id, secret: shown.hook.secret };
}

const deliver = (hook: { id: string; secret: string }, body: unknown) => {
  const raw = JSON.stringify(body);
  return fetch(`${app.url}/hooks/${hook.id}`, {
    method: 'POST',
    headers: { ...json, ...signHookBody(hook.secret, raw) },
    body: raw,
  });
};

async function stepError(runId: string): Promise<{ code?: string; message?: string } | undefined> {
  const [step] = await db.sql`select error from steps where run_id = ${runId} and node_id = 'answer'`;
  return (step?.error as { code?: string; message?: string } | null) ?? undefined;
}

describe('core.respond headers', () => {
  it('the validator refuses unsafe literal headers with E_RESPOND_HEADER', async () => {
    for (const [headers, status] of [
      [{ 'set-cookie': 'session=x' }, 200],
      [{ 'Access-Control-Allow-Origin': '*' }, 200],
      [{ 'content-security-policy': 'default-src *' }, 200],
      [{ 'transfer-encoding': 'chunked' }, 200],
      [{ 'content-length': '1' }, 200],
      [{ connection: 'close' }, 200],
      [{ 'strict-transport-security': 'max-age=0' }, 200],
      [{ 'x-accel-redirect': '/internal' }, 200],
      [{ 'content-type': 'text/html' }, 200],
      [{ 'content-type': 'image/svg+xml' }, 200],
      [{ 'content-type': 'application/javascript; charset=utf-8' }, 200],
      [{ 'x-note': 'a\r\nset-cookie: b=c' }, 200],
      [{ 'x-note': 'nul\u0000' }, 200],
      [{ location: 'https://example.com/' }, 200],
      [{ location: 'javascript:alert(1)' }, 302],
      [{ 'bad name': 'x' }, 200],
    ] as const) {
      const response = await create(responder({ status, body: 'x', headers }));
      expect(response.status, JSON.stringify(headers)).toBe(400);
      const { errors } = (await response.json()) as { errors?: { code: string; path: string }[] };
      expect(
        errors?.map((error) => error.code),
        JSON.stringify(headers),
      ).toEqual(['E_RESPOND_HEADER']);
    }
  });

  it('an expression that yields an unsafe header fails the step with E_RESPOND_HEADER: no 500, no header sent', async () => {
    const hook = await activeHook(
      responder({
        status: 200,
        body: 'ok',
        headers: { 'x-echo': '{{ trigger.body.echo }}', 'content-type': '{{ trigger.body.type }}' },
      }),
    );
    for (const body of [
      { echo: 'a\r\nset-cookie: session=attacker', type: 'text/plain' },
      { echo: 'fine', type: 'text/html' },
      { echo: 'fine', type: 'text/html; {{x}}' },
    ]) {
      const response = await deliver(hook, body);
      expect(response.status, JSON.stringify(body)).toBe(202);
      expect(response.headers.get('set-cookie')).toBeNull();
      const { runId } = (await response.json()) as { runId: string };
      expect(await stepError(runId), JSON.stringify(body)).toMatchObject({ code: 'E_RESPOND_HEADER' });
    }
    const fine = await deliver(hook, { echo: 'fine', type: 'text/plain' });
    expect(fine.status).toBe(200);
    expect(fine.headers.get('x-echo')).toBe('fine');
  });

  it('a whole headers map from the caller is checked too', async () => {
    const hook = await activeHook(
      responder({ status: 200, body: 'ok', headers: '{{ trigger.body.headers }}' }),
    );
    const response = await deliver(hook, {
      headers: { 'set-cookie': 'a=b', 'access-control-allow-origin': '*' },
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const { runId } = (await response.json()) as { runId: string };
    expect(await stepError(runId)).toMatchObject({ code: 'E_RESPOND_HEADER' });
  });

  it('every hook answer carries nosniff and a sandboxing CSP, the refusals too', async () => {
    const hook = await activeHook(
      responder({
        status: 200,
        body: '<script>parent.document.cookie</script>',
        headers: { 'x-kind': 'test' },
      }),
    );
    const answered = await deliver(hook, {});
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('<script>');
    const refused = await fetch(`${app.url}/hooks/${hook.id}`, { method: 'POST', headers: json, body: '{}' });
    expect(refused.status).toBe(401);
    const missing = await fetch(`${app.url}/hooks/no-such-workflow`, {
      method: 'POST',
      headers: json,
      body: '{}',
    });
    expect(missing.status).toBe(404);
    for (const response of [answered, refused, missing]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toMatch(/sandbox/);
      expect(response.headers.get('content-type') ?? '').not.toMatch(/html/);
    }
  });
});
