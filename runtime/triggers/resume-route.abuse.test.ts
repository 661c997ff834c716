import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { startRun } from '../engine/engine.ts';
import { eventually } from '../engine/testing/spawn-worker.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';

// core.wait through the production path: the HTTP server's POST /resume/:token (no principal: the token is the
// credential) and real workers, on the embedded Postgres.

const token = 'resume-token-0123456789abcdef';
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let app: FastifyInstance;
let base = '';

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') },
    connectors: [],
  });
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  worker = await engine.startWorker({ concurrency: 4, leaseMs: 30_000 });
});
afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await db?.drop();
});

async function waitingWorkflow(
  wait: Record<string, unknown>,
  edges: { from: string; to: string; branch?: string }[] = [{ from: 'signed', to: 'after' }],
): Promise<string> {
  const created = await engine.workflows.create({
    schemaVersion: 1,
    name: `wait ${Math.random()}`,
    trigger: { type: 'manual' },
    nodes: [
      { id: 'signed', uses: 'core.wait', with: wait },
      { id: 'after', uses: 'core.transform', with: { value: '{{ steps.signed.output }}' } },
      { id: 'late', uses: 'core.transform', with: { value: 'timed out' } },
    ].filter((node) => node.id === 'signed' || edges.some((edge) => edge.to === node.id)),
    edges,
  });
  return created.id;
}

async function stepOf(runId: string, nodeId: string) {
  const [row] =
    await db.sql`select status, output, error from steps where run_id = ${runId} and node_id = ${nodeId}`;
  return row;
}

async function runStatus(runId: string): Promise<string> {
  const [row] = await db.sql`select status from runs where id = ${runId}`;
  return String(row?.status);
}

/** A resume URL for the waiting step, as a person who may operate the run asks for one. */
async function askResumePath(runId: string): Promise<string> {
  const response = await fetch(`${base}/api/runs/${runId}/steps/signed/resume-url`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { resumePath: string; resumeUrl: string };
  expect(body.resumeUrl).toBe(`http://127.0.0.1:3000${body.resumePath}`);
  return body.resumePath;
}

/** Starts a run and returns it once its core.wait step waits, with a resume path for it. */
async function startWaiting(workflowId: string): Promise<{ runId: string; resumePath: string }> {
  const { runId } = await startRun(db.sql, workflowId, {});
  await eventually(async () => (await stepOf(runId, 'signed'))?.status === 'waiting', 10_000, 'waiting step');
  return { runId, resumePath: await askResumePath(runId) };
}

const post = (path: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('resume URLs are credentials', () => {
  it('never stand in the run record; only someone who may operate the run gets one, and a new one replaces the old', async () => {
    const workflowId = await waitingWorkflow({});
    const { runId, resumePath: first } = await startWaiting(workflowId);
    const second = await askResumePath(runId);
    expect(second).not.toBe(first);
    const tokens = [first, second].map((path) => path.slice('/resume/'.length));
    const stored = JSON.stringify([
      await db.sql`select * from steps where run_id = ${runId}`,
      await db.sql`select * from run_events where run_id = ${runId}`,
      await db.sql`select * from runs where id = ${runId}`,
    ]);
    for (const secret of tokens) expect(stored).not.toContain(secret);
    const view = await (
      await fetch(`${base}/api/runs/${runId}`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    for (const secret of tokens) expect(view).not.toContain(secret);
    // Nobody without credentials asks for one; a step that is not waiting has none.
    expect(
      (await fetch(`${base}/api/runs/${runId}/steps/signed/resume-url`, { method: 'POST' })).status,
    ).toBe(401);
    const notWaiting = await fetch(`${base}/api/runs/${runId}/steps/nope/resume-url`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(notWaiting.status).toBe(409);
    expect((await post(first, {})).status).toBe(404);
    expect((await post(second, { ok: 1 })).status).toBe(202);
    const [issued] =
      await db.sql`select count(*)::int as n from audit_log where action = 'wait.resume_url_issued'`;
    expect(issued?.n).toBeGreaterThanOrEqual(2);
  });
});

describe('core.wait and POST /resume/:token', () => {
  it('resumes once with the body as output; a second call is 410, a wrong token 404', async () => {
    const workflowId = await waitingWorkflow({});
    const { runId, resumePath } = await startWaiting(workflowId);
    expect(resumePath).toMatch(/^\/resume\/[A-Za-z0-9_-]{43}$/);
    const raw = resumePath.slice('/resume/'.length);
    const stored = await db.sql`select token_hash from wait_tokens where run_id = ${runId}`;
    expect(stored.map((row) => row.tokenHash)).toEqual([createHash('sha256').update(raw).digest('hex')]);

    const wrong = await post(`/resume/${'A'.repeat(43)}`, { signed: true });
    expect(wrong.status).toBe(404);
    expect((await post('/resume/short', {})).status).toBe(404);
    expect(await runStatus(runId)).toBe('running');

    const first = await post(resumePath, { signed: true, by: 'carol' });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ runId });
    await eventually(async () => (await runStatus(runId)) === 'succeeded', 10_000, 'run succeeded');
    expect((await stepOf(runId, 'signed'))?.output).toEqual({ signed: true, by: 'carol' });
    expect((await stepOf(runId, 'after'))?.output).toEqual({ signed: true, by: 'carol' });

    const again = await post(resumePath, { signed: false });
    expect(again.status).toBe(410);
    expect((await stepOf(runId, 'signed'))?.output).toEqual({ signed: true, by: 'carol' });
  });

  it('two concurrent calls resume the step exactly once', async () => {
    const workflowId = await waitingWorkflow({});
    const { runId, resumePath } = await startWaiting(workflowId);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => post(resumePath, { index })));
    const codes = answers.map((answer) => answer.status).sort();
    expect(codes).toEqual([202, 410, 410, 410, 410, 410, 410, 410]);
    await eventually(async () => (await runStatus(runId)) === 'succeeded', 10_000, 'run succeeded');
    const [events] = await db.sql`
      select count(*)::int as n from run_events where run_id = ${runId} and type = 'wait.resumed'`;
    expect(events?.n).toBe(1);
  });

  it('refuses a non-JSON body without using the token', async () => {
    const workflowId = await waitingWorkflow({});
    const { runId, resumePath } = await startWaiting(workflowId);
    const text = await fetch(`${base}${resumePath}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'signed',
    });
    expect(text.status).toBe(415);
    expect((await post(resumePath)).status).toBe(202);
    await eventually(async () => (await runStatus(runId)) === 'succeeded', 10_000, 'run succeeded');
    expect((await stepOf(runId, 'signed'))?.output).toBeNull();
  });

  it('times out: branch "timeout" when an edge takes it, E_WAIT_TIMEOUT otherwise; the URL is then 410', async () => {
    const routed = await waitingWorkflow({ timeoutSeconds: 1 }, [
      { from: 'signed', to: 'after', branch: 'resumed' },
      { from: 'signed', to: 'late', branch: 'timeout' },
    ]);
    const bare = await waitingWorkflow({ timeoutSeconds: 1 });
    const first = await startWaiting(routed);
    const second = await startWaiting(bare);
    await eventually(
      async () =>
        (await runStatus(first.runId)) === 'succeeded' && (await runStatus(second.runId)) === 'failed',
      10_000,
      'timeouts',
    );
    expect((await stepOf(first.runId, 'late'))?.output).toBe('timed out');
    expect((await stepOf(first.runId, 'after'))?.status).toBe('skipped');
    expect((await stepOf(second.runId, 'signed'))?.error).toMatchObject({ code: 'E_WAIT_TIMEOUT' });
    expect((await post(first.resumePath, {})).status).toBe(410);
    expect((await post(second.resumePath, {})).status).toBe(410);
  });

  it('retrying a timed-out run mints a new URL: the old one is 404, the new one resumes it', async () => {
    const workflowId = await waitingWorkflow({ timeoutSeconds: 1 });
    const { runId, resumePath: old } = await startWaiting(workflowId);
    await eventually(async () => (await runStatus(runId)) === 'failed', 10_000, 'timed out');
    const retried = await fetch(`${base}/api/runs/${runId}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(retried.status).toBeLessThan(300);
    await eventually(
      async () => (await stepOf(runId, 'signed'))?.status === 'waiting',
      10_000,
      'waiting again',
    );
    const fresh = await askResumePath(runId);
    expect((await post(old, {})).status).toBe(404);
    expect((await post(fresh, { second: true })).status).toBe(202);
    await eventually(async () => (await runStatus(runId)) === 'succeeded', 10_000, 'run succeeded');
  });

  it('survives a worker restart: stopped while waiting, a new worker resumes it', async () => {
    const workflowId = await waitingWorkflow({ timeoutSeconds: 3600 });
    const { runId, resumePath } = await startWaiting(workflowId);
    await worker.stop();
    expect((await post(resumePath, { after: 'restart' })).status).toBe(202);
    worker = await engine.startWorker({ concurrency: 4, leaseMs: 30_000 });
    await eventually(async () => (await runStatus(runId)) === 'succeeded', 10_000, 'run succeeded');
    expect((await stepOf(runId, 'after'))?.output).toEqual({ after: 'restart' });
  });

  it("a cancelled run's URL is 410", async () => {
    const workflowId = await waitingWorkflow({});
    const { runId, resumePath } = await startWaiting(workflowId);
    const cancelled = await fetch(`${base}/api/runs/${runId}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(cancelled.status).toBeLessThan(300);
    expect((await post(resumePath, {})).status).toBe(410);
  });
});
