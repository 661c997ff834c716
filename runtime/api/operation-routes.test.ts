import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { apiTokenResolver } from '../../app/token-resolver.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

// Rename, recent failures and retry-all over a real socket, a real worker and per-user tokens.
const SHARED = 'operation-routes-token-0123456789';
let db: TestDatabase;
let server: FastifyInstance;
let worker: EngineWorker;
let base = '';
const tokens: Record<string, string> = {};

type Answer = { status: number; body: Record<string, unknown> };
async function call(token: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const checker = (name: string, code: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [
    { id: 'double', uses: 'core.transform', with: { value: '{{ trigger.n * 2 }}' } },
    {
      id: 'check',
      uses: 'core.code',
      retry: { maxAttempts: 1 },
      with: { code, input: '{{ steps.double.output }}' },
    },
  ],
  edges: [{ from: 'double', to: 'check' }],
});

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  server = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: SHARED, publicUrl: 'http://localhost' },
    principalResolvers: [apiTokenResolver(db.sql)],
  });
  const engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64') },
    connectors: [],
  });
  engine.registerHttp(server, { publicUrl: 'http://127.0.0.1:3000' });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
  worker = await engine.startWorker({ concurrency: 4 });
  for (const [name, role] of [
    ['bob', 'builder'],
    ['vera', 'viewer'],
  ] as const) {
    expect((await call(SHARED, 'POST', '/api/users', { name, role })).status).toBe(201);
    const minted = await call(SHARED, 'POST', '/api/tokens', { user: name, name: `${name}-token` });
    tokens[name] = String(minted.body.token);
  }
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await db?.drop();
});

async function failedRun(workflowId: string, n: number): Promise<string> {
  const started = await call(SHARED, 'POST', `/api/workflows/${workflowId}/runs`, { input: { n } });
  const view = await waitForRun(db.sql, String(started.body.runId), { timeoutMs: 30_000 });
  expect(view.status).toBe('failed');
  return view.runId;
}

describe('operations over the API', () => {
  it('PATCH /api/workflows/:id renames as a new version; only the owner or an admin may', async () => {
    const created = await call(SHARED, 'POST', '/api/workflows', {
      document: checker('invoices', 'return input'),
    });
    const id = String(created.body.id);
    const renamed = await call(SHARED, 'PATCH', `/api/workflows/${id}`, { name: 'Invoices to Xero' });
    expect(renamed).toMatchObject({
      status: 200,
      body: { id, name: 'Invoices to Xero', previousName: 'invoices', version: 2, changed: true },
    });
    const shown = await call(SHARED, 'GET', `/api/workflows/${id}`);
    expect(shown.body).toMatchObject({ name: 'Invoices to Xero', version: 2 });
    expect((shown.body.document as { name: string; nodes: unknown[] }).name).toBe('Invoices to Xero');
    expect((shown.body.document as { nodes: unknown[] }).nodes).toHaveLength(2);
    const [audit] = await db.sql`
      select action, details from audit_log where subject_id = ${id} and action = 'workflow.renamed'`;
    expect(audit?.details).toMatchObject({ from: 'invoices', to: 'Invoices to Xero', version: 2 });

    const same = await call(SHARED, 'PATCH', `/api/workflows/${id}`, { name: 'Invoices to Xero' });
    expect(same.body).toMatchObject({ version: 2, changed: false });
    expect((await call(SHARED, 'PATCH', `/api/workflows/${id}`, { name: '' })).status).toBe(400);
    expect((await call(SHARED, 'PATCH', `/api/workflows/${id}`, { name: 'x', active: false })).status).toBe(
      400,
    );
    expect((await call(tokens.bob ?? '', 'PATCH', `/api/workflows/${id}`, { name: 'mine' })).status).toBe(
      403,
    );
    expect((await call(tokens.vera ?? '', 'PATCH', `/api/workflows/${id}`, { name: 'mine' })).status).toBe(
      403,
    );
    expect((await call(SHARED, 'PATCH', '/api/workflows/wf_nope', { name: 'x' })).status).toBe(404);
  });

  it('lists recent failures with their group and retries all runs that failed the same way, on the newest version', async () => {
    const created = await call(SHARED, 'POST', '/api/workflows', {
      document: checker('checker', 'if (input > 10) throw new Error("too big: " + input); return input'),
    });
    const id = String(created.body.id);
    const other = String(
      (
        await call(SHARED, 'POST', '/api/workflows', {
          document: checker('other', 'throw new Error("always")'),
        })
      ).body.id,
    );
    const sameWay = [await failedRun(id, 6), await failedRun(id, 7), await failedRun(id, 8)];
    const elsewhere = await failedRun(other, 1);

    const listed = await call(SHARED, 'GET', `/api/runs/failed?workflowId=${id}`);
    const failures = listed.body.failures as Array<Record<string, unknown>>;
    expect(failures.map((failure) => failure.runId)).toEqual([...sameWay].reverse());
    expect(failures[0]).toMatchObject({
      workflow: 'checker',
      version: 1,
      step: 'check',
      group: expect.any(String),
    });
    expect(String(failures[0]?.message)).toContain('too big');
    const group = String(failures[0]?.group);
    expect(new Set(failures.map((failure) => failure.group))).toEqual(new Set([group]));
    const all = (await call(SHARED, 'GET', '/api/runs/failed')).body.failures as Array<{ group: string }>;
    expect(all).toHaveLength(4);
    expect(all.filter((failure) => failure.group !== group)).toHaveLength(1);

    expect((await call(SHARED, 'POST', '/api/runs/retry-failed', {})).status).toBe(400);
    expect((await call(SHARED, 'POST', '/api/runs/retry-failed', { group: 'not-a-group' })).status).toBe(400);
    expect((await call(tokens.vera ?? '', 'POST', '/api/runs/retry-failed', { group })).status).toBe(403);

    await call(SHARED, 'PUT', `/api/workflows/${id}`, { document: checker('checker', 'return input') });
    const retried = await call(SHARED, 'POST', '/api/runs/retry-failed', { group, limit: 2 });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ group, notRetried: [], more: true });
    const first = retried.body.retried as Array<{ runId: string; version: number }>;
    expect(first.map((run) => run.runId)).toEqual([sameWay[2], sameWay[1]]);
    expect(first.every((run) => run.version === 2)).toBe(true);
    const rest = await call(SHARED, 'POST', '/api/runs/retry-failed', { group });
    expect(rest.body).toMatchObject({ retried: [{ runId: sameWay[0], version: 2 }], more: false });
    for (const [index, runId] of sameWay.entries()) {
      const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
      expect(view).toMatchObject({ status: 'succeeded', version: 2, output: (6 + index) * 2 });
    }
    const [untouched] = await db.sql`select status from runs where id = ${elsewhere}`;
    expect(untouched?.status).toBe('failed');
    // A deleted workflow's failed runs are listed still, but not retried.
    const otherGroup = String(all.find((failure) => failure.group !== group)?.group);
    expect((await call(SHARED, 'DELETE', `/api/workflows/${other}`)).status).toBe(200);
    const refused = await call(SHARED, 'POST', '/api/runs/retry-failed', { group: otherGroup });
    expect(refused.body).toMatchObject({
      retried: [],
      notRetried: [{ runId: elsewhere, reason: `Workflow ${other} was deleted.` }],
    });
    const audited = await db.sql`
      select subject_id from audit_log where action = 'run.retried' order by id`;
    expect(audited.map((row) => row.subjectId)).toEqual([sameWay[2], sameWay[1], sameWay[0]]);
  });
});
