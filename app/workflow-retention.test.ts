import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../cli/testing/cli-process.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { RUN_PRUNE_TASK } from '../runtime/services.ts';
import { type RunningApp, startApp } from './start.ts';

// Per-workflow run retention as a person sets it: PUT /api/workflows/{id}/retention on the server as `npm start`
// runs it and `vmesh workflows retention ID DAYS|default` as a process; the server's worker prunes by it.

let db: TestDatabase;
let app: RunningApp;
const TOKEN = 'retention-test-token-0123456789';
const GLOBAL_DAYS = 7;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
  app = await startApp({
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_SECRET_KEY: Buffer.alloc(32, 21).toString('base64'),
    VMESH_API_TOKEN: TOKEN,
    VMESH_RUN_RETENTION_DAYS: String(GLOBAL_DAYS),
  });
}, 90_000);
afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function workflow(name: string): Promise<string> {
  const created = await call('POST', '/api/workflows', {
    document: {
      schemaVersion: 1,
      name,
      trigger: { type: 'manual' },
      nodes: [{ id: 'shape', uses: 'core.transform', with: { value: '{{ trigger.n }}' } }],
      edges: [],
    },
  });
  expect(created.status).toBe(201);
  return String(created.body.id);
}

/** A finished run of the workflow, `days` old. */
async function agedRun(workflowId: string, days: number): Promise<string> {
  const started = await call('POST', `/api/workflows/${workflowId}/runs`, { input: { n: 1 } });
  const runId = String(started.body.runId);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await db.sql`select status from runs where id = ${runId}`;
    if (row?.status === 'succeeded') break;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await db.sql`
    update runs set created_at = created_at - make_interval(days => ${days}),
      started_at = started_at - make_interval(days => ${days}), finished_at = finished_at - make_interval(days => ${days})
    where id = ${runId}`;
  return runId;
}

async function pruneNow(): Promise<void> {
  await db.sql`select graphile_worker.add_job(${RUN_PRUNE_TASK}, '{}'::json)`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const [pending] = await db.sql`
      select count(*)::int as n from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = ${RUN_PRUNE_TASK}`;
    if (pending?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the prune job did not run');
}

describe('per-workflow run retention', () => {
  it('PUT and GET /api/workflows/{id}/retention: set, refused when invalid, back to the default', async () => {
    const id = await workflow('retained via api');
    expect((await call('GET', `/api/workflows/${id}/retention`)).body).toEqual({
      id,
      days: null,
      effectiveDays: GLOBAL_DAYS,
    });
    const set = await call('PUT', `/api/workflows/${id}/retention`, { days: 1 });
    expect(set).toEqual({ status: 200, body: { id, days: 1, effectiveDays: 1 } });
    expect((await call('GET', `/api/workflows/${id}/retention`)).body).toMatchObject({ days: 1 });
    for (const days of [-1, 1.5, '3', 40_000])
      expect((await call('PUT', `/api/workflows/${id}/retention`, { days })).status).toBe(400);
    expect((await call('PUT', `/api/workflows/${id}/retention`, {})).status).toBe(400);
    expect((await call('PUT', `/api/workflows/${id}/retention`, { days: 2 }, null)).status).toBe(401);
    expect((await call('PUT', '/api/workflows/wf_nope/retention', { days: 2 })).status).toBe(404);
    expect((await call('PUT', `/api/workflows/${id}/retention`, { days: null })).body).toEqual({
      id,
      days: null,
      effectiveDays: GLOBAL_DAYS,
    });
    const openapi = await call('GET', '/api/openapi.json', undefined, null);
    const paths = openapi.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths['/api/workflows/{id}/retention'] ?? {}).sort()).toEqual(['get', 'put']);
  }, 60_000);

  it('vmesh workflows retention ID DAYS|default, and the prune job of the server applies it', async () => {
    const brief = await workflow('one day');
    const usual = await workflow('global days');
    const env = cliEnv({ DATABASE_URL: db.url, VMESH_RUN_RETENTION_DAYS: String(GLOBAL_DAYS) });
    const set = await runCli(['workflows', 'retention', brief, '1', '--json'], { env });
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ id: brief, days: 1, effectiveDays: 1 });
    const text = await runCli(['workflows', 'retention', usual, 'default'], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`follows VMESH_RUN_RETENTION_DAYS (${GLOBAL_DAYS} days here)`);
    const wrong = await runCli(['workflows', 'retention', usual, '2w'], { env });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('whole number of days');

    const briefOld = await agedRun(brief, 2);
    const usualOld = await agedRun(usual, 2);
    await pruneNow();
    const prunedAt = async (runId: string) =>
      (await db.sql`select pruned_at from runs where id = ${runId}`)[0]?.prunedAt ?? null;
    expect(await prunedAt(briefOld)).toBeInstanceOf(Date);
    expect(await prunedAt(usualOld)).toBeNull();
    const run = await call('GET', `/api/runs/${briefOld}`);
    expect(run.body).toMatchObject({ status: 'succeeded', pruned: { summary: { steps: 1 } } });
  }, 120_000);
});
