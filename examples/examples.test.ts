import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../app/server.ts';
import { builtinConnectors } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import type { EngineWorker } from '../runtime/engine/worker.ts';
import { createEngineServices } from '../runtime/services.ts';
import { getRunView, waitForRun } from '../runtime/store/run-store.ts';
import { createCatalog } from '../runtime/workflow/catalog.ts';
import { validateWorkflow } from '../runtime/workflow/validate.ts';

/** Every document in examples/ is valid as it is, and each one that needs no outside service runs through the API. */
const DIR = import.meta.dirname;
const examples = readdirSync(DIR).filter((name) => name.endsWith('.json'));
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

const token = 'examples-token-0123456789abcdef';
const headers = { authorization: `Bearer ${token}` };
let db: TestDatabase;
let app: FastifyInstance;
let worker: EngineWorker;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') }, connectors: builtinConnectors },
  );
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
  await worker?.stop();
  await app?.close();
  await db?.drop();
});

async function create(name: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/workflows',
    headers,
    payload: { document: load(name) },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

async function runManual(name: string, input: unknown) {
  const id = await create(name);
  const started = await app.inject({
    method: 'POST',
    url: `/api/workflows/${id}/runs`,
    headers,
    payload: { input },
  });
  expect(started.statusCode, started.body).toBe(202);
  return waitForRun(db.sql, started.json().runId, { timeoutMs: 20_000 });
}

describe('examples/', () => {
  it('has the documented examples, each valid with no errors', () => {
    expect(examples.sort()).toEqual([
      'approval.json',
      'error-route.json',
      'foreach.json',
      'form-signup.json',
      'manual-greeting.json',
      'schedule-slack.json',
      'webhook-respond.json',
    ]);
    const catalog = createCatalog(builtinConnectors);
    for (const name of examples) {
      const report = validateWorkflow(load(name), { catalog });
      expect({ name, errors: report.errors }).toEqual({ name, errors: [] });
    }
  });

  it('manual-greeting runs', async () => {
    const run = await runManual('manual-greeting.json', { name: 'Ada' });
    expect(run).toMatchObject({ status: 'succeeded', output: 'Hello Ada!' });
  });

  it('foreach labels every item, in order', async () => {
    const run = await runManual('foreach.json', {
      orders: [
        { id: 1, total: 30 },
        { id: 2, total: 250 },
        { id: 3, total: 99 },
      ],
    });
    expect(run).toMatchObject({
      status: 'succeeded',
      output: ['#1: order 1 is small', '#2: order 2 is large', '#3: order 3 is small'],
    });
  });

  it('error-route takes the normal branch on good input and the error branch on bad input', async () => {
    expect(await runManual('error-route.json', { text: '{"a":1}' })).toMatchObject({
      status: 'succeeded',
      output: { a: 1 },
    });
    expect(await runManual('error-route.json', { text: 'not json' })).toMatchObject({
      status: 'succeeded',
      output: { value: null, note: 'could not parse not json' },
    });
  });

  it('approval waits for a person, then takes the branch they chose', async () => {
    const waiting = await runManual('approval.json', { amount: 40, customer: 'Ada' });
    expect(waiting.status).toBe('waiting');
    const [approval] = await db.sql<
      { id: string }[]
    >`select id from approvals where run_id = ${waiting.runId}`;
    const decided = await app.inject({
      method: 'POST',
      url: `/api/approvals/${approval?.id}`,
      headers,
      payload: { decision: 'approve' },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    let done = await getRunView(db.sql, waiting.runId);
    for (const deadline = Date.now() + 20_000; done.status === 'waiting' || done.status === 'running'; ) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = await getRunView(db.sql, waiting.runId);
    }
    expect(done).toMatchObject({ status: 'succeeded', output: 'Refunded 40 EUR to Ada' });
  });

  it('webhook-respond answers the POST /hooks call with its respond node', async () => {
    const id = await create('webhook-respond.json');
    expect(
      (await app.inject({ method: 'POST', url: `/api/workflows/${id}/activate`, headers })).statusCode,
    ).toBe(200);
    const workflow = (await app.inject({ method: 'GET', url: `/api/workflows/${id}`, headers })).json();
    const response = await app.inject({
      method: 'POST',
      url: `/hooks/${id}`,
      headers: { 'content-type': 'application/json', 'x-vmesh-secret': workflow.hook.secret },
      payload: { order: 42, items: ['a', 'b'] },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ received: { order: 42, count: 2 } });
  });

  it('form-signup serves its form, and a submission runs it with trigger.fields', async () => {
    const id = await create('form-signup.json');
    await app.inject({ method: 'POST', url: `/api/workflows/${id}/activate`, headers });
    const page = await app.inject({ method: 'GET', url: `/forms/${id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="f-email">Email');
    const { formToken } = (
      await app.inject({ method: 'GET', url: `/forms/${id}`, headers: { accept: 'application/json' } })
    ).json();
    const sent = await app.inject({
      method: 'POST',
      url: `/forms/${id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        _vmesh_form: formToken,
        name: 'Ada',
        email: 'ada@example.com',
        plan: 'team',
        newsletter: 'on',
      }).toString(),
    });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.body).toContain('Thanks, we will write to you.');
    const [run] = await db.sql<{ id: string }[]>`select id from runs where workflow_id = ${id}`;
    expect(await waitForRun(db.sql, String(run?.id), { timeoutMs: 20_000 })).toMatchObject({
      status: 'succeeded',
      output: 'Ada <ada@example.com> wants team (newsletter)',
    });
  });

  it('schedule-slack needs Slack, so it is only validated, and activating it plans its first tick', async () => {
    const id = await create('schedule-slack.json');
    const activated = await app.inject({ method: 'POST', url: `/api/workflows/${id}/activate`, headers });
    expect(activated.statusCode, activated.body).toBe(200);
    const [job] = await db.sql<{ runAt: Date }[]>`
      select run_at from graphile_worker.jobs where key = ${`schedule:${id}`}`;
    expect(job?.runAt.getTime()).toBeGreaterThan(Date.now());
  });
});
