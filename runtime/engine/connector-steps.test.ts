import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpServer } from '../../app/server.ts';
import { createCredentialStore, httpConnector, parseSecretKey } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { cancelRun, startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// http.request steps through the whole engine (real worker, real Postgres, real HTTP server on 127.0.0.1):
// retry classification, Retry-After, timeouts, and a credential that never shows up in what is stored or served.

const token = 'api-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${token}` };
const secretKey = Buffer.alloc(32, 9).toString('base64');
const canary = 'canary-Secret+/=&?:@ä-4711-token';

type Reply = { status: number; headers?: Record<string, string>; body?: unknown; hang?: boolean };
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let app: FastifyInstance;
let server: Server;
let base = '';
/** Scripted answers per path; the last one repeats. */
const script = new Map<string, Reply[]>();
const seen: { path: string; authorization: string | undefined; idempotencyKey: string | undefined }[] = [];
const hanging: ServerResponse[] = [];

function handle(request: IncomingMessage, response: ServerResponse): void {
  const path = request.url ?? '/';
  seen.push({
    path,
    authorization: request.headers.authorization,
    idempotencyKey: request.headers['idempotency-key'] as string | undefined,
  });
  const queue = script.get(path) ?? [{ status: 404 }];
  const reply = (queue.length > 1 ? queue.shift() : queue[0]) as Reply;
  if (reply.hang) {
    hanging.push(response);
    return;
  }
  const body =
    typeof reply.body === 'function'
      ? (reply.body as (req: IncomingMessage) => unknown)(request)
      : (reply.body ?? { ok: reply.status < 300 });
  response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  response.end(JSON.stringify(body));
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const env = { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' };
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env, connectors: [httpConnector] },
  );
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: httpConnector.credential ? [httpConnector.credential] : [],
  });
  await credentials.set('api', 'http', { scheme: 'bearer', token: canary });
  app = createHttpServer({
    database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  worker = await engine.startWorker({ concurrency: 4 });
});

afterAll(async () => {
  for (const response of hanging) response.destroy();
  await worker?.stop();
  await app?.close();
  await new Promise((resolve) => server.close(resolve));
  await db?.drop();
});

async function run(path: string, replies: Reply[], node: Record<string, unknown> = {}) {
  script.set(path, replies);
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name: `http ${path}`,
    trigger: { type: 'manual' },
    nodes: [
      {
        id: 'call',
        uses: 'http.request',
        credential: 'api',
        retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
        with: { method: 'POST', url: `${base}${path}`, body: { hello: 'world' }, timeoutMs: 2_000 },
        ...node,
      },
    ],
    edges: [],
  });
  const { runId } = await startRun(db.sql, id, {});
  const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
  const events = await db.sql`select type, payload, at from run_events where run_id = ${runId} order by seq`;
  return { runId, view, events };
}

describe('http.request through the engine', () => {
  it('retries a 503 and succeeds on the 200, with one idempotency key and the decrypted credential', async () => {
    const { view, events } = await run('/flaky', [{ status: 503 }, { status: 200, body: { done: true } }]);
    expect(view.status).toBe('succeeded');
    expect(view.output).toMatchObject({ status: 200, body: { done: true } });
    expect(events.map((e) => e.type)).toContain('step.retrying');
    const calls = seen.filter((call) => call.path === '/flaky');
    expect(calls).toHaveLength(2);
    expect(calls.every((call) => call.authorization === `Bearer ${canary}`)).toBe(true);
    expect(new Set(calls.map((call) => call.idempotencyKey)).size).toBe(1);
  });

  it('honours Retry-After on a 429 (measured between the recorded events)', async () => {
    const { view, events } = await run('/limited', [
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 200 },
    ]);
    expect(view.status).toBe('succeeded');
    const retrying = events.find((e) => e.type === 'step.retrying');
    const succeeded = events.find((e) => e.type === 'step.succeeded');
    if (!retrying || !succeeded) throw new Error('expected step.retrying then step.succeeded');
    const retriedAt = (retrying.at as Date).getTime();
    expect((succeeded.at as Date).getTime() - retriedAt).toBeGreaterThanOrEqual(1_000);
    const retryAt = new Date(String((retrying.payload as { retryAt: string }).retryAt)).getTime();
    expect(retryAt - retriedAt).toBeGreaterThanOrEqual(990);
  });

  it('a 429 with X-RateLimit-Remaining: 0 waits for X-RateLimit-Reset and blocks the credential till then', async () => {
    const [clock] = await db.sql`select clock_timestamp() as now`;
    const now = z.date().parse(clock?.now);
    const { view, events } = await run('/reset', [
      { status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' } },
      { status: 200 },
    ]);
    expect(view.status).toBe('succeeded');
    const retrying = events.find((e) => e.type === 'step.retrying');
    const succeeded = events.find((e) => e.type === 'step.succeeded');
    if (!retrying || !succeeded) throw new Error('expected step.retrying then step.succeeded');
    expect((succeeded.at as Date).getTime() - (retrying.at as Date).getTime()).toBeGreaterThanOrEqual(1_000);
    const [budget] = await db.sql`
      select blocked_until from connection_budgets where connector_id = 'http' and credential = 'api'`;
    const blockedUntil = z.date().parse(budget?.blockedUntil);
    expect(blockedUntil.getTime() - now.getTime()).toBeGreaterThanOrEqual(1_000);
  });

  it('fails a 400 at once: run.failed carries the status and the body with the secret redacted', async () => {
    const { view, events } = await run('/bad', [
      {
        status: 400,
        body: (req: IncomingMessage) => ({ error: 'invalid field', echoedAuth: req.headers.authorization }),
      },
    ]);
    expect(view.status).toBe('failed');
    expect(seen.filter((call) => call.path === '/bad')).toHaveLength(1);
    expect(events.map((e) => e.type)).not.toContain('step.retrying');
    const failed = events.find((e) => e.type === 'run.failed');
    expect(failed?.payload).toMatchObject({ error: { status: 400, retryable: false } });
    const body = JSON.stringify(failed?.payload);
    expect(body).toContain('invalid field');
    expect(body).not.toContain(canary);
  });

  it('aborts a hanging request at timeoutMs with E_TIMEOUT and retries it', async () => {
    const { view, events } = await run(
      '/slow',
      [
        { status: 200, hang: true },
        { status: 200, body: { late: false } },
      ],
      {
        with: { method: 'GET', url: `${base}/slow`, timeoutMs: 300 },
      },
    );
    expect(view.status).toBe('succeeded');
    const retrying = events.find((e) => e.type === 'step.retrying');
    expect(retrying?.payload).toMatchObject({ error: { code: 'E_TIMEOUT' } });
  });

  it('cancelling a run aborts its running step: the request is cut off and nothing of it is recorded', async () => {
    script.set('/cancel-me', [{ status: 200, hang: true }]);
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'cancel me',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'call',
          uses: 'http.request',
          with: { method: 'GET', url: `${base}/cancel-me`, timeoutMs: 60_000 },
        },
        { id: 'after', uses: 'core.transform', with: { value: 1 } },
      ],
      edges: [{ from: 'call', to: 'after' }],
    });
    const hangingBefore = hanging.length;
    const { runId } = await startRun(db.sql, id, {});
    for (let i = 0; i < 200 && hanging.length === hangingBefore; i++)
      await new Promise((r) => setTimeout(r, 25));
    const response = hanging.at(-1);
    if (!response || hanging.length === hangingBefore) throw new Error('the step never reached the server');
    const cutOff = new Promise<number>((resolve) => response.once('close', () => resolve(performance.now())));
    const cancelledAt = performance.now();
    expect(await cancelRun(db.sql, runId)).toEqual({ status: 'cancelled' });
    const closedAt = await Promise.race([cutOff, new Promise<number>((r) => setTimeout(() => r(-1), 5_000))]);
    expect(closedAt).toBeGreaterThan(0);
    expect(closedAt - cancelledAt).toBeLessThan(3_000);
    // The worker's late report of the aborted step is fenced out: the step stays cancelled, nothing ran after it.
    await new Promise((r) => setTimeout(r, 300));
    const view = await waitForRun(db.sql, runId, { timeoutMs: 5_000 });
    expect(view.status).toBe('cancelled');
    expect(view.steps.map((step) => [step.id, step.status])).toEqual([['call', 'cancelled']]);
    const types = (await db.sql`select type from run_events where run_id = ${runId} order by seq`).map((e) =>
      String(e.type),
    );
    expect(types).toEqual(['run.created', 'run.cancelled']);
  });

  it('the credential appears in no stored row and no API response, in any encoding', async () => {
    const forms = [
      canary,
      Buffer.from(canary).toString('base64'),
      Buffer.from(`Bearer ${canary}`).toString('base64'),
      encodeURIComponent(canary),
      Buffer.from(canary).toString('hex'),
      JSON.stringify(canary).slice(1, -1),
      JSON.stringify(JSON.stringify(canary)).slice(1, -1),
    ];
    const rows = [
      ...(await db.sql`select row_to_json(s)::text as t from steps s`),
      ...(await db.sql`select row_to_json(e)::text as t from run_events e`),
      ...(await db.sql`select row_to_json(r)::text as t from runs r`),
    ].map((row) => String(row.t));
    expect(rows.length).toBeGreaterThan(5);
    const runIds = (await db.sql`select id from runs`).map((row) => String(row.id));
    const responses: string[] = [];
    for (const runId of runIds) {
      for (const url of [`/api/runs/${runId}`, `/api/runs/${runId}/events`]) {
        const response = await app.inject({ method: 'GET', url, headers: auth });
        expect(response.statusCode).toBe(200);
        responses.push(response.body);
      }
    }
    responses.push((await app.inject({ method: 'GET', url: '/api/runs', headers: auth })).body);
    const haystack = [...rows, ...responses].join('\n');
    for (const form of forms) expect(haystack).not.toContain(form);
    // The server did get it: the check above is not vacuous.
    expect(seen.some((call) => call.authorization === `Bearer ${canary}`)).toBe(true);
  });
});
