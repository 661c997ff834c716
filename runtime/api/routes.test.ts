import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

let db: TestDatabase;
let app: FastifyInstance;
let worker: EngineWorker;
const token = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}` };

const echo = {
  schemaVersion: 1,
  name: 'echo',
  trigger: { type: 'webhook' },
  nodes: [
    { id: 'shape', uses: 'core.transform', with: { value: { got: '{{ trigger.body.n }}' } } },
    { id: 'reply', uses: 'core.respond', with: { status: 201, body: '{{ steps.shape.output }}' } },
  ],
  edges: [{ from: 'shape', to: 'reply' }],
};
const plain = {
  schemaVersion: 1,
  name: 'plain',
  trigger: { type: 'webhook' },
  nodes: [{ id: 'a', uses: 'core.transform', with: { value: '{{ trigger.body }}' } }],
  edges: [],
};

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, connectors: [] },
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
  await worker.stop();
  await app.close();
  await db.drop();
});

describe('HTTP API', () => {
  it('refuses requests without the bearer token', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/workflows' });
    expect(response.statusCode).toBe(401);
  });

  it('rejects an invalid document with the validator errors', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: auth,
      payload: { document: { schemaVersion: 1 } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].code).toBe('E_SCHEMA');
  });

  it('creates, activates and runs a workflow; GET /api/runs/:id has the run --json shape', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/workflows',
      headers: auth,
      payload: { document: plain },
    });
    expect(created.statusCode).toBe(201);
    const { id, version } = created.json();
    expect(version).toBe(1);
    expect(
      (await app.inject({ method: 'POST', url: `/api/workflows/${id}/activate`, headers: auth })).statusCode,
    ).toBe(200);
    const started = await app.inject({
      method: 'POST',
      url: `/api/workflows/${id}/runs`,
      headers: auth,
      payload: { input: { body: 5 } },
    });
    expect(started.statusCode).toBe(202);
    const { runId } = started.json();
    await waitForRun(db.sql, runId, { timeoutMs: 10_000 });
    const run = (await app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: auth })).json();
    expect(run).toMatchObject({
      runId,
      status: 'succeeded',
      output: 5,
      steps: [{ id: 'a', status: 'succeeded', output: 5, error: null }],
    });
    const shown = (await app.inject({ method: 'GET', url: `/api/workflows/${id}`, headers: auth })).json();
    expect(shown.hook.url).toBe(`http://127.0.0.1:3000/hooks/${id}`);
    expect(shown.hook.secret).toEqual(expect.any(String));
    const openapi = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(openapi.paths['/api/workflows']).toBeDefined();
  });

  it('webhooks: secret, HMAC, core.respond, 404, 409, 400, 413 and delivery-id dedupe', async () => {
    const { id } = (
      await app.inject({ method: 'POST', url: '/api/workflows', headers: auth, payload: { document: echo } })
    ).json();
    const secret = (await app.inject({ method: 'GET', url: `/api/workflows/${id}`, headers: auth })).json()
      .hook.secret as string;
    const body = JSON.stringify({ n: 3 });
    const json = { 'content-type': 'application/json' };
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/hooks/${id}`,
          headers: { ...json, 'x-vmesh-secret': secret },
          payload: body,
        })
      ).statusCode,
    ).toBe(409);
    await app.inject({ method: 'POST', url: `/api/workflows/${id}/activate`, headers: auth });
    expect(
      (await app.inject({ method: 'POST', url: '/hooks/wf_nope', headers: json, payload: body })).statusCode,
    ).toBe(404);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/hooks/${id}`,
          headers: { ...json, 'x-vmesh-secret': 'wrong' },
          payload: body,
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/hooks/${id}`,
          headers: { ...json, 'x-vmesh-secret': secret },
          payload: '{nope',
        })
      ).statusCode,
    ).toBe(400);
    const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/hooks/${id}`,
          headers: { ...json, 'x-vmesh-secret': secret },
          payload: big,
        })
      ).statusCode,
    ).toBe(413);
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const responded = await app.inject({
      method: 'POST',
      url: `/hooks/${id}`,
      headers: { ...json, 'x-vmesh-signature': signature },
      payload: body,
    });
    expect(responded.statusCode).toBe(201);
    expect(responded.json()).toEqual({ got: 3 });

    const { id: plainId } = (
      await app.inject({ method: 'POST', url: '/api/workflows', headers: auth, payload: { document: plain } })
    ).json();
    await app.inject({ method: 'POST', url: `/api/workflows/${plainId}/activate`, headers: auth });
    const plainSecret = (
      await app.inject({ method: 'GET', url: `/api/workflows/${plainId}`, headers: auth })
    ).json().hook.secret as string;
    const send = (delivery: string) =>
      app.inject({
        method: 'POST',
        url: `/hooks/${plainId}`,
        headers: { ...json, 'x-vmesh-secret': plainSecret, 'x-github-delivery': delivery },
        payload: body,
      });
    const first = await send('d-1');
    const again = await send('d-1');
    const other = await send('d-2');
    expect(first.statusCode).toBe(202);
    expect(again.json().runId).toBe(first.json().runId);
    expect(other.json().runId).not.toBe(first.json().runId);
  });
});
