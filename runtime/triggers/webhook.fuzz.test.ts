import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices } from '../services.ts';
import { signHookBody } from './webhook-verify.ts';

const token = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}` };
let db: TestDatabase;
let app: FastifyInstance;
let hook: { id: string; secret: string };

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: { VMESH_RATE_LIMIT_HOOKS: '0' },
    // inject sends Host: localhost:80.
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  const engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') },
    connectors: [],
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  const document = {
    schemaVersion: 1,
    name: 'fuzzed',
    trigger: { type: 'webhook' },
    nodes: [{ id: 'a', uses: 'core.transform', with: { value: '{{ trigger.body }}' } }],
    edges: [],
  };
  const created = await app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers: auth,
    payload: { document },
  });
  const id = created.json().id as string;
  await app.inject({ method: 'POST', url: `/api/workflows/${id}/activate`, headers: auth });
  const shown = await app.inject({ method: 'GET', url: `/api/workflows/${id}`, headers: auth });
  hook = { id, secret: shown.json().hook.secret as string };
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

const body = fc.oneof(
  fc.uint8Array({ maxLength: 2_048 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 6 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  fc.string({ unit: 'binary', maxLength: 500 }).map((text) => Buffer.from(text)),
  fc
    .constantFrom(
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"\\u005f_proto__":1}',
      `{"event_id":"${'e'.repeat(300)}"}`,
      '{"event_id":null}',
      '[',
      '\u0000',
      '{"a":"\\ud800"}',
      '1e999',
      `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
    )
    .map((text) => Buffer.from(text)),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  '',
  '\u00ff/\u00ff',
);
const signing = fc.constantFrom('timestamped', 'plain', 'secret', 'wrong', 'none', 'garbage-timestamp');
const deliveryHeader = fc.option(
  fc.record({
    name: fc.constantFrom('x-github-delivery', 'webhook-id', 'x-vmesh-delivery', 'x-request-id'),
    value: fc.string({ maxLength: 300 }).filter((v) => /^[\x21-\x7e]*$/.test(v)),
  }),
  { nil: undefined },
);

describe('POST /hooks/:id with random bodies, content types, signatures and delivery ids', () => {
  it('never answers 5xx; every error is a JSON { error: { code, message } }', async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, signing, deliveryHeader, async (payload, type, sign, delivery) => {
        const headers: Record<string, string> = {};
        if (type) headers['content-type'] = type;
        if (delivery) headers[delivery.name] = delivery.value;
        if (sign === 'timestamped') Object.assign(headers, signHookBody(hook.secret, payload));
        if (sign === 'plain') {
          const { createHmac } = await import('node:crypto');
          headers['x-vmesh-signature'] =
            `sha256=${createHmac('sha256', hook.secret).update(payload).digest('hex')}`;
        }
        if (sign === 'secret') headers['x-vmesh-secret'] = hook.secret;
        if (sign === 'wrong') Object.assign(headers, signHookBody('wrong', payload));
        if (sign === 'garbage-timestamp')
          Object.assign(headers, { 'x-vmesh-timestamp': '-1', 'x-vmesh-signature': 'x' });
        const response = await app.inject({ method: 'POST', url: `/hooks/${hook.id}`, headers, payload });
        expect(response.statusCode, response.body).toBeLessThan(500);
        if (response.statusCode >= 400) {
          const error = response.json().error;
          expect(typeof error.code).toBe('string');
          expect(typeof error.message).toBe('string');
        }
        // Unsigned or wrongly signed: never accepted (401, or 415 when the content-type header itself is malformed).
        if (sign === 'wrong' || sign === 'none' || sign === 'garbage-timestamp') {
          expect([401, 415]).toContain(response.statusCode);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('bodies Postgres cannot store as they are (found by the fuzzer above)', () => {
  it('NUL bytes, \\u0000 and lone surrogates become U+FFFD; nesting over 100 levels is a clear 400', async () => {
    const send = (payload: string, type: string) =>
      app.inject({
        method: 'POST',
        url: `/hooks/${hook.id}`,
        headers: { 'content-type': type, ...signHookBody(hook.secret, payload) },
        payload,
      });
    const text = await send('a\u0000b', 'text/plain');
    expect(text.statusCode).toBe(202);
    const json = await send('{"k\\u0000":"\\u0000","s":"\\ud800x"}', 'application/json');
    expect(json.statusCode).toBe(202);
    const [row] = await db.sql`select trigger from runs where id = ${json.json().runId}`;
    expect((row?.trigger as { body: unknown } | undefined)?.body).toEqual({
      'k\uFFFD': '\uFFFD',
      s: '\uFFFDx',
    });
    const deep = await send(`${'['.repeat(101)}${']'.repeat(101)}`, 'application/json');
    expect(deep.statusCode).toBe(400);
    expect(deep.json().error.message).toMatch(/nested more than 100 levels/);
    expect((await send(`${'['.repeat(100)}${']'.repeat(100)}`, 'application/json')).statusCode).toBe(202);
  });
});
