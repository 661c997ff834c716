import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createUser, ensureLocalOwner } from '../../access/index.ts';
import type { RunningApp } from '../../app/start.ts';
import { startSignedApp } from '../../app/web-auth/testing/signed-app.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';

// The routes the web console needs, over the real server with its worker: POST /api/workflows/{id}/rollback (and
// its /chat/api twin), the run listing's filters and pages on /api/runs and /chat/api/runs, and the console's
// permission checks (a builder who does not own a workflow may not roll it back or read its hook secret).

const API_TOKEN = `api-${randomBytes(12).toString('hex')}`;

const doc = (name: string, value: string, trigger: Record<string, unknown> = { type: 'manual' }) => ({
  schemaVersion: 1,
  name,
  trigger,
  nodes: [{ id: 'shape', uses: 'core.transform', with: { value } }],
  edges: [],
});
const failing = {
  schemaVersion: 1,
  name: 'always fails',
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'boom',
      uses: 'core.code',
      retry: { maxAttempts: 1 },
      with: { code: 'throw new Error("boom")' },
    },
  ],
  edges: [],
};

describe('console API: rollback and run listing (real server, embedded Postgres, worker)', () => {
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
  const settled = async (runId: string) => {
    for (let i = 0; i < 600; i += 1) {
      const run = await ok('GET', `/api/runs/${runId}`);
      if (['succeeded', 'failed', 'cancelled'].includes(String(run.status))) return String(run.status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`run ${runId} did not settle`);
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

  it('rolls back to the version before, or to a named one, as a new version; refuses what it cannot', async () => {
    const { id } = (await ok('POST', '/api/workflows', { document: doc('greeter', 'v1') })) as { id: string };
    await ok('PUT', `/api/workflows/${id}`, { document: doc('greeter', 'v2') });
    await ok('PUT', `/api/workflows/${id}`, { document: doc('greeter', 'v3') });

    const back = await ok('POST', `/api/workflows/${id}/rollback`, {});
    expect(back).toEqual({ id, from: 3, to: 2, version: 4, changed: true });
    const current = await ok('GET', `/api/workflows/${id}`);
    expect((current.document as { nodes: { with: { value: string } }[] }).nodes[0]?.with.value).toBe('v2');

    expect(await ok('POST', `/api/workflows/${id}/rollback`, { toVersion: 1 })).toMatchObject({
      from: 4,
      to: 1,
      version: 5,
    });
    const same = await call('POST', `/api/workflows/${id}/rollback`, { toVersion: 5 });
    expect(same.status).toBe(409);
    expect(same.text).toContain('already the current version');
    expect((await call('POST', `/api/workflows/${id}/rollback`, { toVersion: 99 })).status).toBe(404);
    expect((await call('POST', `/api/workflows/${id}/rollback`, { toVersion: 0 })).status).toBe(400);
    expect((await call('POST', `/api/workflows/${id}/rollback`, { to: 1 })).status).toBe(400);

    const { id: single } = (await ok('POST', '/api/workflows', { document: doc('single', 'only') })) as {
      id: string;
    };
    const nothing = await call('POST', `/api/workflows/${single}/rollback`, {});
    expect(nothing.status).toBe(409);
    expect(nothing.text).toContain('nothing to roll back to');

    // Someone else's workflow: a builder may not change it, a viewer may not propose at all.
    expect((await call('POST', `/api/workflows/${id}/rollback`, {}, builderToken)).status).toBe(403);
    expect((await call('POST', `/chat/api/workflows/${id}/rollback`, {}, builderToken)).status).toBe(403);
    expect((await call('POST', `/api/workflows/${id}/rollback`, {}, viewerToken)).status).toBe(403);

    // The web console's route is the same operation, audited the same way.
    expect(await ok('POST', `/chat/api/workflows/${id}/rollback`, { toVersion: 3 })).toMatchObject({
      from: 5,
      to: 3,
      version: 6,
      changed: true,
    });
    const audit = await db.sql`
      select count(*)::int as n from audit_log where subject_id = ${id} and action = 'workflow.updated'`;
    expect(audit[0]?.n).toBe(2 + 3);

    const openapi = await ok('GET', '/api/openapi.json');
    expect(Object.keys(openapi.paths as object)).toContain('/api/workflows/{id}/rollback');
  }, 120_000);

  it('lists runs by status, workflow and date, a page at a time, on /api/runs and /chat/api/runs', async () => {
    const { id: good } = (await ok('POST', '/api/workflows', { document: doc('lister', 'fine') })) as {
      id: string;
    };
    const { id: bad } = (await ok('POST', '/api/workflows', { document: failing })) as { id: string };
    const goodRuns: string[] = [];
    for (let i = 0; i < 5; i += 1)
      goodRuns.push(String((await ok('POST', `/api/workflows/${good}/runs`, {})).runId));
    const badRun = String((await ok('POST', `/api/workflows/${bad}/runs`, {})).runId);
    for (const runId of goodRuns) expect(await settled(runId)).toBe('succeeded');
    expect(await settled(badRun)).toBe('failed');
    // Two of the good runs were made last week (their records moved back; nothing else reads created_at).
    await db.sql`update runs set created_at = now() - interval '7 days' where id in ${db.sql(goodRuns.slice(0, 2))}`;

    const failed = (await ok('GET', '/api/runs?status=failed')) as { runs: { runId: string }[] };
    expect(failed.runs.map((run) => run.runId)).toContain(badRun);
    expect(failed.runs.map((run) => run.runId)).not.toContain(goodRuns[0]);

    const page1 = (await ok('GET', `/api/runs?workflowId=${good}&limit=2`)) as {
      runs: { runId: string }[];
      nextOffset: number | null;
    };
    expect(page1.runs.map((run) => run.runId)).toEqual([goodRuns[4], goodRuns[3]]);
    expect(page1.nextOffset).toBe(2);
    const page3 = (await ok('GET', `/api/runs?workflowId=${good}&limit=2&offset=4`)) as typeof page1;
    expect(page3.runs).toHaveLength(1);
    expect(page3.nextOffset).toBeNull();

    const since = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const recent = (await ok(
      'GET',
      `/api/runs?workflowId=${good}&from=${encodeURIComponent(since)}`,
    )) as typeof page1;
    expect(recent.runs.map((run) => run.runId).sort()).toEqual(goodRuns.slice(2).sort());
    const older = (await ok(
      'GET',
      `/api/runs?workflowId=${good}&to=${encodeURIComponent(since)}`,
    )) as typeof page1;
    expect(older.runs.map((run) => run.runId).sort()).toEqual(goodRuns.slice(0, 2).sort());

    expect((await call('GET', '/api/runs?status=exploded')).status).toBe(400);
    expect((await call('GET', '/api/runs?from=yesterday')).status).toBe(400);
    const backwards = await call(
      'GET',
      `/api/runs?from=${encodeURIComponent(since)}&to=${encodeURIComponent(since)}`,
    );
    expect(backwards.status).toBe(400);
    expect((await call('GET', '/api/runs?limit=0')).status).toBe(400);

    // The web page's listing: the same filters, with the workflow's name on each run.
    const web = (await ok('GET', `/chat/api/runs?workflowId=${good}&status=succeeded&limit=3`)) as {
      runs: { id: string; workflowName: string; version: number }[];
      nextOffset: number | null;
    };
    expect(web.runs.map((run) => run.id)).toEqual([goodRuns[4], goodRuns[3], goodRuns[2]]);
    expect(web.runs[0]).toMatchObject({ workflowName: 'lister', version: 1 });
    expect(web.nextOffset).toBe(3);
    expect((await call('GET', '/chat/api/runs?status=exploded')).status).toBe(400);
  }, 180_000);

  it('gives the hook URL on the overview and the secret only on request, to its owner', async () => {
    const { id } = (await ok('POST', '/api/workflows', {
      document: doc('hooked', 'x', { type: 'webhook' }),
    })) as { id: string };
    const overview = await call('GET', `/chat/api/workflows/${id}/overview`);
    expect(overview.status).toBe(200);
    expect(overview.body.hook).toMatchObject({ url: `${app.url}/hooks/${id}`, header: 'x-vmesh-secret' });
    const [row] = await db.sql`select hook_secret from workflows where id = ${id}`;
    const secret = String(row?.hookSecret);
    expect(overview.text).not.toContain(secret);

    const revealed = await call('POST', `/chat/api/workflows/${id}/hook-secret`, {});
    expect(revealed.body).toEqual({ secret });
    expect((await call('POST', `/chat/api/workflows/${id}/hook-secret`, {}, builderToken)).status).toBe(403);
    const builderView = await call('GET', `/chat/api/workflows/${id}/overview`, undefined, builderToken);
    expect(builderView.body.may).toMatchObject({ secret: false, change: false, start: true });
    const audit = await db.sql`
      select count(*)::int as n from audit_log where subject_id = ${id} and action = 'hook_secret.revealed'`;
    expect(audit[0]?.n).toBe(1);

    // verify "token": the secret is the URL's last segment, so the overview shows the URL without it.
    const tokened = (await ok('POST', '/api/workflows', {
      document: doc('tokened', 'x', { type: 'webhook', with: { verify: 'token' } }),
    })) as { id: string };
    expect((await ok('GET', `/chat/api/workflows/${tokened.id}/overview`)).hook).toEqual({
      url: `${app.url}/hooks/${tokened.id}`,
      trigger: 'webhook',
      secretIn: 'path',
    });

    const manual = (await ok('POST', '/api/workflows', { document: doc('by hand', 'x') })) as { id: string };
    expect((await ok('GET', `/chat/api/workflows/${manual.id}/overview`)).hook).toBeNull();

    // Run now takes an object as its input; anything else is refused before a run exists.
    const refused = await call('POST', `/chat/api/workflows/${id}/runs`, { input: [1, 2] });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('must be a JSON object');
    expect((await call('POST', `/chat/api/workflows/${id}/runs`, {}, viewerToken)).status).toBe(403);
    const started = await call('POST', `/chat/api/workflows/${id}/runs`, { input: { n: 1 } });
    expect(started.status).toBe(202);
    const runId = String(started.body.runId);
    expect(await settled(runId)).toBe('succeeded');
    const retried = await call('POST', `/chat/api/runs/${runId}/retry`, {});
    expect(retried.status).toBe(409);
    const step = await ok('GET', `/chat/api/runs/${runId}/steps/shape`);
    expect(step).toMatchObject({ id: 'shape', status: 'succeeded', output: 'x' });

    const paused = await ok('POST', `/chat/api/workflows/${id}/deactivate`, {});
    expect(paused).toEqual({ id, active: false });
    expect((await call('POST', `/chat/api/workflows/${id}/activate`, {}, viewerToken)).status).toBe(403);
    expect((await call('DELETE', `/chat/api/workflows/${id}`, undefined, builderToken)).status).toBe(403);
    expect(await ok('DELETE', `/chat/api/workflows/${id}`)).toEqual({ id, deleted: true });
    expect((await call('GET', `/chat/api/workflows/${id}/overview`)).status).toBe(404);
  }, 120_000);
});
