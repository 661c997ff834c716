import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { checkSchemeSignature } from './webhook-schemes.ts';

// Each with.verify scheme: the vendor's documented example where there is one (checked at the example's own time),
// then real deliveries over HTTP to /hooks, signed as the vendor signs them, with a real worker running the run.

let db: TestDatabase;
let app: FastifyInstance;
let baseUrl: string;
let worker: EngineWorker;
const token = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: auth,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, `${method} ${path}: ${response.status}`).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

/** A stored, active webhook workflow verifying `verify`; its hook secret set to `secret` when given (PUT). */
async function createActive(
  withOptions: Record<string, unknown>,
  secret?: string,
): Promise<{ id: string; url: string; secret: string }> {
  const created = await api('POST', '/api/workflows', {
    document: {
      schemaVersion: 1,
      name: `hook-${String(withOptions.verify)}-${Math.random()}`,
      trigger: { type: 'webhook', with: withOptions },
      nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.body }}' } }],
      edges: [],
    },
  });
  const id = String(created.id);
  await api('POST', `/api/workflows/${id}/activate`, {});
  if (secret !== undefined) {
    const set = await api('PUT', `/api/workflows/${id}/hook-secret`, { secret });
    expect(set).toEqual({ id, set: true, previousSecretValidUntil: null });
    expect(JSON.stringify(set)).not.toContain(secret);
  }
  const shown = await api('GET', `/api/workflows/${id}`);
  const hook = shown.hook as { url: string; secret: string };
  return { id, url: hook.url.replace('http://127.0.0.1:3000', baseUrl), secret: hook.secret };
}

function post(url: string, headers: Record<string, string>, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

async function runCount(workflowId: string): Promise<number> {
  const [row] = await db.sql`select count(*)::int as n from runs where workflow_id = ${workflowId}`;
  return Number(row?.n);
}

async function expectRefused(response: Response, code = 'E_UNAUTHORIZED'): Promise<void> {
  expect(response.status).toBe(401);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
}

const hex = (key: string | Buffer, text: string, algorithm = 'sha256') =>
  createHmac(algorithm, key).update(text).digest('hex');
const b64 = (key: string | Buffer, text: string, algorithm = 'sha256') =>
  createHmac(algorithm, key).update(text).digest('base64');
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, connectors: builtinConnectors },
  );
  app = createHttpServer({
    database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker.stop();
  await app.close();
  await db.drop();
});

describe("the vendors' documented examples", () => {
  it('github: the "Hello, World!" example of GitHub\'s "Validating webhook deliveries"', () => {
    const request = {
      headers: {
        'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      },
      rawBody: Buffer.from('Hello, World!'),
    };
    expect(checkSchemeSignature({ verify: 'github' }, ["It's a Secret to Everybody"], request).ok).toBe(true);
    expect(
      checkSchemeSignature({ verify: 'github' }, ["It's a Secret to Everybody"], {
        ...request,
        rawBody: Buffer.from('Hello, World?'),
      }).ok,
    ).toBe(false);
  });

  it('slack: the slash-command example of Slack\'s "Verifying requests from Slack"', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const request = {
      headers: {
        'x-slack-request-timestamp': '1531420618',
        'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      },
      rawBody: Buffer.from(body),
    };
    const secret = ['8f742231b10e8888abcd99yyyzzz85a5'];
    expect(checkSchemeSignature({ verify: 'slack' }, secret, request, 1531420618_000).ok).toBe(true);
    expect(
      checkSchemeSignature({ verify: 'slack' }, secret, request, (1531420618 + 301) * 1000),
    ).toMatchObject({
      ok: false,
      code: 'E_STALE_SIGNATURE',
    });
    expect(
      checkSchemeSignature(
        { verify: 'slack' },
        secret,
        { ...request, rawBody: Buffer.from(body.replace('foobar', 'foobaz')) },
        1531420618_000,
      ).ok,
    ).toBe(false);
  });

  it("standard-webhooks: the reference libraries' signing example (whsec_MfKQ…, msg_p5jX…, 1614265330)", () => {
    const request = {
      headers: {
        'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        'webhook-timestamp': '1614265330',
        'webhook-signature':
          'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      },
      rawBody: Buffer.from('{"test": 2432232314}'),
    };
    const at = 1614265330_000;
    for (const secret of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']) {
      expect(checkSchemeSignature({ verify: 'standard-webhooks' }, [secret], request, at).ok).toBe(true);
    }
    const secret = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'];
    const tampered = { ...request, rawBody: Buffer.from('{"test": 2432232315}') };
    expect(checkSchemeSignature({ verify: 'standard-webhooks' }, secret, tampered, at).ok).toBe(false);
    const otherId = { ...request, headers: { ...request.headers, 'webhook-id': 'msg_other' } };
    expect(checkSchemeSignature({ verify: 'standard-webhooks' }, secret, otherId, at).ok).toBe(false);
    expect(
      checkSchemeSignature({ verify: 'standard-webhooks' }, secret, request, at + 301_000),
    ).toMatchObject({
      code: 'E_STALE_SIGNATURE',
    });
  });
});

describe('twilio: the example of Twilio\'s "Webhooks security" (auth token 12345)', () => {
  const request = {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
    },
    rawBody: Buffer.from(
      'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212',
    ),
    url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  };
  it('verifies, and a changed parameter or URL does not', () => {
    expect(checkSchemeSignature({ verify: 'twilio' }, ['12345'], request).ok).toBe(true);
    const tampered = {
      ...request,
      rawBody: Buffer.from(request.rawBody.toString().replace('1234&', '1235&')),
    };
    expect(checkSchemeSignature({ verify: 'twilio' }, ['12345'], tampered).ok).toBe(false);
    const elsewhere = { ...request, url: 'https://mycompany.com/myapp.php?foo=1&bar=3' };
    expect(checkSchemeSignature({ verify: 'twilio' }, ['12345'], elsewhere).ok).toBe(false);
  });
});

type Scheme = {
  verify: string;
  with?: Record<string, unknown>;
  /** A secret as the vendor generates it, set with PUT; undefined: the generated hook secret is used. */
  secret?: string;
  body: string;
  /** The headers the vendor sends for `body`, signed with `secret` at `timestamp`. */
  sign(secret: string, body: string, timestamp: number): Record<string, string>;
  /** Whether a redelivery (signed anew) starts no second run. */
  dedupes: boolean;
  /** Whether the scheme signs a timestamp (a stale one is refused). */
  timestamped: boolean;
};

const schemes: Scheme[] = [
  {
    verify: 'github',
    body: JSON.stringify({ action: 'created', zen: 'Keep it logically awesome.' }),
    sign: (secret, body) => ({
      'x-github-event': 'ping',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-hub-signature-256': `sha256=${hex(secret, body)}`,
    }),
    dedupes: true,
    timestamped: false,
  },
  {
    verify: 'stripe',
    secret: 'whsec_4eC39HqLyjWDarjtT1zdp7dcWvd1S9sJ',
    body: JSON.stringify({
      id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
      object: 'event',
      type: 'payment_intent.succeeded',
    }),
    sign: (secret, body, t) => ({
      // Stripe may send several v1 (one per active secret) and a v0 test-mode signature: any v1 matching is enough.
      'stripe-signature': `t=${t},v1=${hex('whsec_not_this_one_000000000000', `${t}.${body}`)},v1=${hex(secret, `${t}.${body}`)},v0=${'0'.repeat(64)}`,
    }),
    dedupes: true,
    timestamped: true,
  },
  {
    verify: 'shopify',
    secret: 'shpss_0123456789abcdef0123456789abcdef',
    body: JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '254.98' }),
    sign: (secret, body) => ({
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'x-shopify-hmac-sha256': b64(secret, body),
    }),
    dedupes: true,
    timestamped: false,
  },
  {
    verify: 'standard-webhooks',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    body: JSON.stringify({ type: 'contact.created', data: { id: '1f81eb52-5198-4599-803e-771906343485' } }),
    sign: (secret, body, t) => ({
      'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      'webhook-timestamp': String(t),
      'webhook-signature': `v1,${b64(Buffer.from(secret.slice(6), 'base64'), `msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.${t}.${body}`)}`,
    }),
    dedupes: true,
    timestamped: true,
  },
  {
    verify: 'slack',
    secret: '8f742231b10e8888abcd99yyyzzz85a5',
    body: JSON.stringify({ type: 'event_callback', event_id: 'Ev0PV52K21', event: { type: 'app_mention' } }),
    sign: (secret, body, t) => ({
      'x-slack-request-timestamp': String(t),
      'x-slack-signature': `v0=${hex(secret, `v0:${t}:${body}`)}`,
    }),
    dedupes: true,
    timestamped: true,
  },
  {
    verify: 'typeform',
    secret: 'typeform-webhook-secret-0123456789',
    body: JSON.stringify({ event_id: '01GRC8GJ2T5Q2K2R9B3FJZ3QJE', event_type: 'form_response' }),
    sign: (secret, body) => ({ 'typeform-signature': `sha256=${b64(secret, body)}` }),
    dedupes: true,
    timestamped: false,
  },
  {
    verify: 'linear',
    secret: 'lin_wh_0123456789abcdef0123456789abcdef',
    body: JSON.stringify({
      action: 'create',
      type: 'Issue',
      data: { id: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9' },
    }),
    sign: (secret, body) => ({
      'linear-delivery': '234d1a4e-b617-4388-90fe-adc3633d6b72',
      'linear-signature': hex(secret, body),
    }),
    dedupes: true,
    timestamped: false,
  },
  {
    verify: 'hmac',
    with: { header: 'X-Signature', algorithm: 'sha512', encoding: 'base64', prefix: 'sha512=' },
    body: JSON.stringify({ event: 'invoice.paid', amount: 4200 }),
    sign: (secret, body) => ({
      'x-signature': `sha512=${b64(secret, body, 'sha512')}`,
      'x-request-id': 'req-7f3a',
    }),
    dedupes: true,
    timestamped: false,
  },
];

describe('with.verify schemes through POST /hooks/:workflowId and a real worker', () => {
  for (const scheme of schemes) {
    it(`${scheme.verify}: a valid delivery starts one run; wrong secret, tampered body${scheme.timestamped ? ', stale timestamp' : ''} → 401, no run`, async () => {
      const hook = await createActive({ verify: scheme.verify, ...scheme.with }, scheme.secret);
      const secret = scheme.secret ?? hook.secret;
      if (scheme.secret) expect(hook.secret).toBe(scheme.secret);

      const wrong = `${secret.slice(0, -4)}${secret.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      await expectRefused(await post(hook.url, scheme.sign(wrong, scheme.body, now()), scheme.body));
      const tampered = `${scheme.body} `;
      await expectRefused(await post(hook.url, scheme.sign(secret, scheme.body, now()), tampered));
      // The engine's own forms do not stand in for the sender's signature.
      await expectRefused(await post(hook.url, { 'x-vmesh-secret': secret }, scheme.body));
      if (scheme.timestamped) {
        const stale = scheme.sign(secret, scheme.body, now() - 301);
        await expectRefused(await post(hook.url, stale, scheme.body), 'E_STALE_SIGNATURE');
      }
      expect(await runCount(hook.id)).toBe(0);

      const signed = scheme.sign(secret, scheme.body, now());
      const first = await post(hook.url, signed, scheme.body);
      expect(first.status, await first.clone().text()).toBe(202);
      const { runId } = (await first.json()) as { runId: string };
      const run = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
      expect(run.status).toBe('succeeded');
      expect(run.steps.find((step) => step.id === 'seen')?.output).toEqual(JSON.parse(scheme.body));
      const stored = await db.sql`select trigger from runs where id = ${runId}`;
      expect(JSON.stringify(stored[0]?.trigger)).not.toContain(secret);
      // The signature travels in a header that is not part of the run's trigger data.
      const trigger = stored[0]?.trigger as { headers: Record<string, string> } | undefined;
      const headers = Object.keys(trigger?.headers ?? {});
      expect(headers).toContain('content-type');
      const signatureHeader = Object.keys(signed).filter((name) => /signature|hmac/.test(name));
      expect(signatureHeader.length).toBeGreaterThan(0);
      for (const name of signatureHeader) expect(headers).not.toContain(name);

      if (scheme.dedupes) {
        const again = await post(hook.url, scheme.sign(secret, scheme.body, now() - 1), scheme.body);
        expect(again.status).toBe(202);
        expect(((await again.json()) as { runId: string }).runId).toBe(runId);
      }
      expect(await runCount(hook.id)).toBe(1);
    });
  }

  it('twilio: a form delivery signed over the public hook URL starts one run; a redelivery returns it', async () => {
    const authToken = 'twilio-auth-token-0123456789abcdef';
    const hook = await createActive({ verify: 'twilio' }, authToken);
    const signedUrl = `http://127.0.0.1:3000/hooks/${hook.id}`;
    const params = {
      Body: 'Hello',
      From: '+14155550100',
      MessageSid: 'SM1234567890abcdef',
      To: '+14155550199',
    };
    const body = new URLSearchParams(params).toString();
    const sign = (key: string, url: string) =>
      createHmac('sha1', key)
        .update(
          `${url}${Object.entries(params)
            .map(([name, value]) => `${name}${value}`)
            .join('')}`,
        )
        .digest('base64');
    const form = (signature: string, sent = body) =>
      fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'i-twilio-idempotency-token': 'a1b2c3d4-idem',
          'x-twilio-signature': signature,
        },
        body: sent,
      });
    await expectRefused(await form(sign(`${authToken}x`, signedUrl)));
    await expectRefused(await form(sign(authToken, `${signedUrl}/other`)));
    await expectRefused(await form(sign(authToken, signedUrl), body.replace('Hello', 'Hellp')));
    expect(await runCount(hook.id)).toBe(0);
    const first = await form(sign(authToken, signedUrl));
    expect(first.status, await first.clone().text()).toBe(202);
    const { runId } = (await first.json()) as { runId: string };
    expect((await waitForRun(db.sql, runId, { timeoutMs: 30_000 })).status).toBe('succeeded');
    const again = await form(sign(authToken, signedUrl));
    expect(((await again.json()) as { runId: string }).runId).toBe(runId);
    expect(await runCount(hook.id)).toBe(1);
  });

  it('token: POST /hooks/:workflowId/:token with the hook secret starts one run; a wrong or missing token → 401', async () => {
    const hook = await createActive({ verify: 'token' });
    const body = JSON.stringify({ ping: 1 });
    await expectRefused(await post(`${hook.url}/${hook.secret}x`, {}, body));
    await expectRefused(await post(`${hook.url}/${hook.secret.slice(0, -1)}`, {}, body));
    await expectRefused(await post(hook.url, { 'x-vmesh-secret': hook.secret }, body));
    expect(await runCount(hook.id)).toBe(0);
    const first = await post(`${hook.url}/${hook.secret}`, {}, body);
    expect(first.status).toBe(202);
    const { runId } = (await first.json()) as { runId: string };
    expect((await waitForRun(db.sql, runId, { timeoutMs: 30_000 })).status).toBe('succeeded');
    expect(await runCount(hook.id)).toBe(1);
  });

  it('a workflow that does not verify "token" answers a secret in the URL 404 and starts no run', async () => {
    const hook = await createActive({});
    const response = await post(`${hook.url}/${hook.secret}`, {}, '{}');
    expect(response.status).toBe(404);
    expect(await runCount(hook.id)).toBe(0);
  });
});

describe('PUT /api/workflows/:id/hook-secret', () => {
  it('sets the secret (audited without it), revokes the old one, and refuses a secret too short', async () => {
    const hook = await createActive({ verify: 'github' });
    const body = '{"zen":"Design for failure."}';
    const vendorSecret = 'a-secret-the-sender-generated-0123';
    await api('PUT', `/api/workflows/${hook.id}/hook-secret`, { secret: vendorSecret });
    const old = await post(hook.url, { 'x-hub-signature-256': `sha256=${hex(hook.secret, body)}` }, body);
    await expectRefused(old);
    const fresh = await post(hook.url, { 'x-hub-signature-256': `sha256=${hex(vendorSecret, body)}` }, body);
    expect(fresh.status).toBe(202);

    const entries = await db.sql`
      select action, details from audit_log where subject_id = ${hook.id} and action = 'hook_secret.set'`;
    expect(entries).toHaveLength(1);
    expect(JSON.stringify(entries)).not.toContain(vendorSecret);

    const short = await fetch(`${baseUrl}/api/workflows/${hook.id}/hook-secret`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ secret: 'short' }),
    });
    expect(short.status).toBe(400);
    expect(await short.text()).not.toContain('short"');
    const unauthenticated = await fetch(`${baseUrl}/api/workflows/${hook.id}/hook-secret`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: 'an-attacker-chosen-secret-000000' }),
    });
    expect(unauthenticated.status).toBe(401);
  });
});

describe('validation of trigger.with.verify (POST /api/workflows)', () => {
  const refusal = async (withOptions: Record<string, unknown>) => {
    const response = await fetch(`${baseUrl}/api/workflows`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        document: {
          schemaVersion: 1,
          name: `v-${Math.random()}`,
          trigger: { type: 'webhook', with: withOptions },
          nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
          edges: [],
        },
      }),
    });
    expect(response.status).toBe(400);
    return response.text();
  };
  it('names the unknown scheme, the missing hmac header and hmac options on other schemes (E_TRIGGER)', async () => {
    const unknown = await refusal({ verify: 'paypal' });
    expect(unknown).toContain('E_TRIGGER');
    expect(unknown).toContain('/trigger/with/verify');
    expect(unknown).toContain('standard-webhooks');
    const noHeader = await refusal({ verify: 'hmac' });
    expect(noHeader).toContain('/trigger/with/header');
    expect(noHeader).toContain('needs with.header');
    const stray = await refusal({ verify: 'slack', prefix: 'v0=' });
    expect(stray).toContain('/trigger/with/prefix');
    expect(stray).toContain('only applies to verify');
  });
});
