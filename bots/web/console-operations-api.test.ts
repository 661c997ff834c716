import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createUser, ensureLocalOwner } from '../../access/index.ts';
import type { RunningApp } from '../../app/start.ts';
import { startSignedApp } from '../../app/web-auth/testing/signed-app.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';

// The web console's cancel, rename, failures listing and retry-all (/chat/api) answer as their /api twins do, over
// the real server with its worker: the same permission (viewer → 403), the same object checks (someone else's
// workflow → 403, a private one → 404, private failures left out of the listing and the retry) and the same effect.

const API_TOKEN = `api-${randomBytes(12).toString('hex')}`;

const failing = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [
    { id: 'boom', uses: 'core.code', retry: { maxAttempts: 1 }, with: { code: 'throw new Error("boom")' } },
  ],
  edges: [],
});
const sleeper = {
  schemaVersion: 1,
  name: 'sleeper',
  trigger: { type: 'manual' },
  nodes: [{ id: 'nap', uses: 'core.delay', with: { ms: 600_000 } }],
  edges: [],
};

describe('console operation routes match their /api twins (real server, embedded Postgres, worker)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let builderToken = '';
  let viewerToken = '';

  const call = async (method: string, path: string, body?: unknown, bearer = API_TOKEN) => {
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
  };
  const ok = async (method: string, path: string, body?: unknown, bearer = API_TOKEN) => {
    const result = await call(method, path, body, bearer);
    expect(result.status, `${method} ${path}: ${result.text}`).toBeLessThan(300);
    return result.body;
  };
  /** The status each twin answers: /api first, then /chat/api. */
  const twins = async (method: string, path: string, body: unknown, bearer: string) => [
    (await call(method, `/api${path}`, body, bearer)).status,
    (await call(method, `/chat/api${path}`, body, bearer)).status,
  ];
  const settled = async (runId: string) => {
    for (let i = 0; i < 600; i += 1) {
      const run = await ok('GET', `/api/runs/${runId}`);
      if (['succeeded', 'failed', 'cancelled'].includes(String(run.status))) return String(run.status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`run ${runId} did not settle`);
  };
  const create = async (document: unknown, scope: 'workspace' | 'private') =>
    String((await ok('POST', '/api/workflows', { document, scope })).id);
  const failedRun = async (workflowId: string) => {
    const runId = String((await ok('POST', `/api/workflows/${workflowId}/runs`, {})).runId);
    expect(await settled(runId)).toBe('failed');
    return runId;
  };

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 8 });
    app = await startSignedApp(db, { VMESH_API_TOKEN: API_TOKEN, VMESH_NO_WORKER: '0' });
    const owner = await ensureLocalOwner(db.sql, 'cli');
    const bea = await createUser(db.sql, { name: 'bea', role: 'builder' });
    const vic = await createUser(db.sql, { name: 'vic', role: 'viewer' });
    builderToken = (await createToken(db.sql, owner, { userId: bea.id, name: 'test' })).token;
    viewerToken = (await createToken(db.sql, owner, { userId: vic.id, name: 'test' })).token;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('rename: the same refusals, then the same rename as a new version', async () => {
    const shared = await create(failing('shared flow'), 'workspace');
    const hidden = await create(failing('hidden flow'), 'private');
    expect(await twins('PATCH', `/workflows/${shared}`, { name: 'x' }, viewerToken)).toEqual([403, 403]);
    expect(await twins('PATCH', `/workflows/${shared}`, { name: 'x' }, builderToken)).toEqual([403, 403]);
    expect(await twins('PATCH', `/workflows/${hidden}`, { name: 'x' }, builderToken)).toEqual([404, 404]);
    expect(await twins('PATCH', `/workflows/${shared}`, { name: ' ' }, API_TOKEN)).toEqual([400, 400]);
    expect((await db.sql`select name from workflows where id = ${shared}`)[0]?.name).toBe('shared flow');

    expect(await ok('PATCH', `/chat/api/workflows/${shared}`, { name: 'renamed flow' })).toMatchObject({
      id: shared,
      name: 'renamed flow',
      previousName: 'shared flow',
      version: 2,
      changed: true,
    });
    const [audited] = await db.sql`
      select count(*)::int as n from audit_log where action = 'workflow.renamed' and subject_id = ${shared}`;
    expect(audited?.n).toBe(1);
  }, 120_000);

  it('cancel: a viewer may not, a private run stays invisible, and the run is cancelled', async () => {
    const shared = await create(sleeper, 'workspace');
    const hidden = await create(sleeper, 'private');
    const runId = String((await ok('POST', `/api/workflows/${shared}/runs`, {})).runId);
    const hiddenRun = String((await ok('POST', `/api/workflows/${hidden}/runs`, {})).runId);
    expect(await twins('POST', `/runs/${runId}/cancel`, {}, viewerToken)).toEqual([403, 403]);
    expect(await twins('POST', `/runs/${hiddenRun}/cancel`, {}, builderToken)).toEqual([404, 404]);
    expect(await ok('POST', `/chat/api/runs/${runId}/cancel`, {}, builderToken)).toEqual({
      runId,
      status: 'cancelled',
    });
    expect((await db.sql`select status from runs where id = ${runId}`)[0]?.status).toBe('cancelled');
    expect(await ok('POST', `/chat/api/runs/${hiddenRun}/cancel`, {})).toMatchObject({ status: 'cancelled' });
  }, 120_000);

  it('failures and retry-all: the same listing, private failures left out, and the group retried', async () => {
    const shared = await create(failing('flaky'), 'workspace');
    const hidden = await create(failing('secret flaky'), 'private');
    const runs = [await failedRun(shared), await failedRun(shared)];
    const hiddenRun = await failedRun(hidden);

    for (const bearer of [API_TOKEN, builderToken, viewerToken]) {
      const viaApi = await ok('GET', '/api/runs/failed?limit=50', undefined, bearer);
      expect(await ok('GET', '/chat/api/runs/failed?limit=50', undefined, bearer)).toEqual(viaApi);
    }
    const seen = (await ok('GET', '/chat/api/runs/failed', undefined, builderToken)) as {
      failures: { runId: string; group: string }[];
    };
    expect(seen.failures.map((failure) => failure.runId)).not.toContain(hiddenRun);
    expect(
      (await call('GET', `/chat/api/runs/failed?workflowId=${hidden}`, undefined, builderToken)).status,
    ).toBe(404);
    const group = seen.failures.find((failure) => failure.runId === runs[0])?.group ?? '';
    expect(seen.failures.filter((failure) => failure.group === group)).toHaveLength(2);

    expect(await twins('POST', '/runs/retry-failed', { group }, viewerToken)).toEqual([403, 403]);
    expect(await twins('POST', '/runs/retry-failed', {}, builderToken)).toEqual([400, 400]);
    expect(await twins('POST', '/runs/retry-failed', { workflowId: hidden }, builderToken)).toEqual([
      404, 404,
    ]);
    const hiddenGroup = (
      (await ok('GET', `/api/runs/failed?workflowId=${hidden}`)) as { failures: { group: string }[] }
    ).failures[0]?.group;
    expect(
      await ok('POST', '/chat/api/runs/retry-failed', { group: hiddenGroup }, builderToken),
    ).toMatchObject({
      retried: [],
    });

    const retried = (await ok('POST', '/chat/api/runs/retry-failed', { group }, builderToken)) as {
      retried: { runId: string }[];
      notRetried: unknown[];
    };
    expect(retried.retried.map((entry) => entry.runId).sort()).toEqual([...runs].sort());
    expect(retried.notRetried).toEqual([]);
    const [entries] = await db.sql`
      select count(*)::int as n from audit_log where action = 'run.retried' and subject_id in ${db.sql(runs)}`;
    expect(entries?.n).toBe(2);
    expect((await db.sql`select status from runs where id = ${hiddenRun}`)[0]?.status).toBe('failed');
  }, 180_000);
});
