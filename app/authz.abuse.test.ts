import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createToken,
  createUser,
  ensureLocalOwner,
  installRouteAuthorization,
  needs,
  type Principal,
} from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { ROUTE_DOCS } from '../runtime/api/routes.ts';
import { createEngineServices, type EngineWorker } from '../runtime/index.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { createHttpServer } from './server.ts';
import { apiTokenResolver } from './token-resolver.ts';

// Authorization through the real HTTP server (a socket, the shared-token and per-user-token resolvers, a real
// worker): strangers, viewers, other builders, scoped tokens and the minting rules, attacked route by route.

const SHARED = 'shared-token-0123456789abcdef';
let db: TestDatabase;
let server: FastifyInstance;
let worker: EngineWorker;
let base = '';
const registered: { method: string; url: string; permission: unknown }[] = [];
const tokens: Record<string, string> = {};

type Reply = { status: number; body: Record<string, unknown> & { error?: { code: string } } };
async function call(token: string | undefined, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

const doc = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [{ id: 'a', uses: 'core.transform', with: { value: '{{ trigger }}' } }],
  edges: [],
});
const askDoc = (approvers: string[]) => ({
  schemaVersion: 1,
  name: 'ask',
  trigger: { type: 'manual' },
  nodes: [
    { id: 'ask', uses: 'core.approval', with: { message: 'Ship?', approvers } },
    { id: 'yes', uses: 'core.transform', with: { value: 'shipped' } },
  ],
  edges: [{ from: 'ask', to: 'yes', branch: 'approved' }],
});

async function mint(user: string, extra: Record<string, unknown> = {}): Promise<string> {
  const minted = await call(SHARED, 'POST', '/api/tokens', { user, name: `${user}-token`, ...extra });
  expect(minted.status, JSON.stringify(minted.body)).toBe(201);
  return String(minted.body.token);
}

/** The approval a run waits on (a run rests in 'waiting' once its approval row exists). */
async function pendingApproval(runId: string): Promise<string> {
  const view = await waitForRun(db.sql, runId, { timeoutMs: 10_000 });
  expect(view.status).toBe('waiting');
  const [row] = await db.sql`select id from approvals where run_id = ${runId} and status = 'pending'`;
  return String(row?.id);
}

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
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      registered.push({ method: String(method), url: route.url, permission: route.config?.permission });
  });
  const engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') },
    connectors: [],
  });
  engine.registerHttp(server, { publicUrl: 'http://127.0.0.1:3000' });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
  worker = await engine.startWorker({ concurrency: 2 });
  for (const [name, role] of [
    ['alice', 'builder'],
    ['bob', 'builder'],
    ['vera', 'viewer'],
    ['olga', 'operator'],
    ['adam', 'admin'],
  ] as const) {
    expect((await call(SHARED, 'POST', '/api/users', { name, role })).status).toBe(201);
    tokens[name] = await mint(name);
  }
});
afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await db?.drop();
});

/** Every /api route with its path parameters filled in with `ids`. */
function apiRoutes(ids: { workflow: string; run: string; approval: string; user: string; token: string }) {
  return ROUTE_DOCS.filter(
    (route) => route.path.startsWith('/api/') && route.path !== '/api/openapi.json',
  ).map((route) => ({
    method: route.method.toUpperCase(),
    path: route.path
      .replace('/api/runs/{id}', `/api/runs/${ids.run}`)
      .replace('/api/approvals/{id}', `/api/approvals/${ids.approval}`)
      .replace('/api/users/{id}', `/api/users/${ids.user}`)
      .replace('/api/tokens/{id}', `/api/tokens/${ids.token}`)
      .replace('{id}', ids.workflow)
      .replace('{version}', '1'),
  }));
}

describe('every /api route is authorized', () => {
  it('declares a permission on every registered /api route, and documents each one', () => {
    const api = registered.filter(
      (route) =>
        route.url.startsWith('/api/') && route.method !== 'HEAD' && route.url !== '/api/openapi.json',
    );
    expect(api.length).toBeGreaterThan(20);
    for (const route of api) expect(route.permission, `${route.method} ${route.url}`).toBeDefined();
    const documented = new Set(ROUTE_DOCS.map((r) => `${r.method.toUpperCase()} ${r.path}`));
    for (const route of api)
      expect(documented, 'missing from ROUTE_DOCS').toContain(
        `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`,
      );
  });

  it('refuses to register an /api route without a permission (fail closed)', async () => {
    const app = Fastify();
    installRouteAuthorization(app);
    expect(() => app.get('/api/forgotten', async () => ({ secret: true }))).toThrow(/declares no permission/);
    expect(() => app.get('/api/fine', needs('workflow.read'), async () => ({}))).not.toThrow();
    await app.close();
  });

  it('a stranger (no token, a wrong, revoked or expired token, a disabled user) gets 401 on every route', async () => {
    const { id: workflow } = (await call(SHARED, 'POST', '/api/workflows', { document: doc('open') }))
      .body as {
      id: string;
    };
    const { runId: run } = (await call(SHARED, 'POST', `/api/workflows/${workflow}/runs`, {})).body as {
      runId: string;
    };
    const revoked = await mint('alice');
    const revokedId = revoked.split('_').slice(1, 3).join('_');
    expect((await call(SHARED, 'DELETE', `/api/tokens/${revokedId}`)).status).toBe(200);
    const expired = await mint('alice', { expiresInSeconds: 60 });
    await db.sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${expired.split('_').slice(1, 3).join('_')}`;
    const gone = await createUser(db.sql, { name: 'gone', role: 'admin' });
    const disabled = await mint('gone');
    expect((await call(SHARED, 'PATCH', `/api/users/${gone.id}`, { disabled: true })).status).toBe(200);
    const forged = `${tokens.alice!.slice(0, -4)}${tokens.alice!.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const strangers = [
      undefined,
      'not-a-token-at-all-0123',
      forged,
      revoked,
      expired,
      disabled,
      'vmt_garbage',
    ];
    const routes = apiRoutes({ workflow, run, approval: 'apr_x', user: gone.id, token: revokedId });
    for (const stranger of strangers) {
      for (const route of routes) {
        const reply = await call(stranger, route.method, route.path, route.method === 'GET' ? undefined : {});
        expect(reply.status, `${stranger} ${route.method} ${route.path}`).toBe(401);
        expect(reply.body.error?.code).toBe('E_UNAUTHORIZED');
      }
    }
    // Before this change a per-user token was unknown to the server: the same token works while it is valid.
    expect((await call(tokens.alice, 'GET', '/api/me')).body).toMatchObject({
      user: { name: 'alice', role: 'builder' },
      identity: expect.stringMatching(/^token:tok_/),
    });
    expect((await call(undefined, 'GET', '/api/openapi.json')).status).toBe(200);
  });

  it('decides on the routed path: a percent-encoded /api is refused too (the old raw-URL check let it through)', async () => {
    for (const path of ['/%61pi/workflows', '/%61pi/runs', '/api/%77orkflows', '/%61pi/me']) {
      const reply = await call(undefined, 'GET', path);
      expect(reply.status, path).toBe(401);
    }
    const created = await call(undefined, 'POST', '/%61pi/workflows', { document: doc('sneaky') });
    expect(created.status).toBe(401);
    expect((await call(SHARED, 'GET', '/%61pi/workflows')).status).toBe(200);
  });
});

describe('objects across users', () => {
  it("sharing: a private workflow is its owner's until they (or an admin) share it; nobody else may", async () => {
    const made = await call(tokens.alice, 'POST', '/api/workflows', {
      document: doc('alice-later'),
      scope: 'private',
    });
    const id = String(made.body.id);
    expect((await call(tokens.bob, 'GET', `/api/workflows/${id}`)).status).toBe(404);
    expect((await call(tokens.bob, 'PUT', `/api/workflows/${id}/scope`, { scope: 'workspace' })).status).toBe(
      404,
    );
    expect(
      (await call(tokens.vera, 'PUT', `/api/workflows/${id}/scope`, { scope: 'workspace' })).status,
    ).toBe(403);
    const shared = await call(tokens.alice, 'PUT', `/api/workflows/${id}/scope`, { scope: 'workspace' });
    expect(shared.status).toBe(200);
    expect(shared.body).toMatchObject({ id, scope: 'workspace' });
    expect((await call(tokens.bob, 'GET', `/api/workflows/${id}`)).status).toBe(200);
    // Seeing it is not owning it: bob still may not change its sharing.
    expect((await call(tokens.bob, 'PUT', `/api/workflows/${id}/scope`, { scope: 'private' })).status).toBe(
      403,
    );
    expect((await call(tokens.adam, 'PUT', `/api/workflows/${id}/scope`, { scope: 'private' })).status).toBe(
      200,
    );
    expect((await call(tokens.bob, 'GET', `/api/workflows/${id}`)).status).toBe(404);
    expect(
      (await call(tokens.alice, 'PUT', `/api/workflows/${id}/scope`, { scope: 'everyone' })).status,
    ).toBe(400);
    const [entry] = await db.sql`
      select actor, details from audit_log where action = 'workflow.scope_changed' and subject_id = ${id} order by id`;
    expect(entry).toMatchObject({ actor: 'alice', details: { from: 'private', to: 'workspace' } });
  });

  it("a viewer's token reads but changes nothing", async () => {
    const { id } = (await call(tokens.alice, 'POST', '/api/workflows', { document: doc('alices') })).body as {
      id: string;
    };
    const { runId } = (await call(tokens.olga, 'POST', `/api/workflows/${id}/runs`, {})).body as {
      runId: string;
    };
    await waitForRun(db.sql, runId, { timeoutMs: 10_000 });
    expect((await call(tokens.vera, 'GET', `/api/workflows/${id}`)).status).toBe(200);
    expect((await call(tokens.vera, 'GET', `/api/runs/${runId}`)).status).toBe(200);
    const writes: [string, string, unknown][] = [
      ['POST', '/api/workflows', { document: doc('v') }],
      ['PUT', `/api/workflows/${id}`, { document: doc('v2') }],
      ['DELETE', `/api/workflows/${id}`, undefined],
      ['POST', `/api/workflows/${id}/activate`, {}],
      ['POST', `/api/workflows/${id}/deactivate`, {}],
      ['POST', `/api/workflows/${id}/runs`, {}],
      ['POST', `/api/workflows/${id}/hook-secret/rotate`, {}],
      ['PUT', `/api/workflows/${id}/hook-secret`, { secret: 'an-attacker-chosen-secret-0000' }],
      ['POST', `/api/runs/${runId}/cancel`, {}],
      ['POST', `/api/runs/${runId}/retry`, {}],
      ['POST', '/api/approvals/apr_nope', { decision: 'approve' }],
      ['POST', '/api/users', { name: 'mallory', role: 'owner' }],
      ['PATCH', `/api/users/vera`, { role: 'admin' }],
      ['POST', `/api/users/vera/identities`, { provider: 'slack', subject: 'T1:U1' }],
    ];
    for (const [method, path, body] of writes) {
      const reply = await call(tokens.vera, method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(reply.body.error?.code).toBe('E_FORBIDDEN');
    }
    expect((await call(SHARED, 'GET', `/api/workflows/${id}`)).body).toMatchObject({
      name: 'alices',
      version: 1,
    });
  });

  it("a builder can neither read nor change another builder's private workflow or its runs (404)", async () => {
    const created = await call(tokens.alice, 'POST', '/api/workflows', {
      document: askDoc([]),
      scope: 'private',
    });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const { runId } = (await call(tokens.alice, 'POST', `/api/workflows/${id}/runs`, {})).body as {
      runId: string;
    };
    const approval = await pendingApproval(runId);
    const attempts: [string, string, unknown][] = [
      ['GET', `/api/workflows/${id}`, undefined],
      ['GET', `/api/workflows/${id}/versions`, undefined],
      ['GET', `/api/workflows/${id}/versions/1`, undefined],
      ['PUT', `/api/workflows/${id}`, { document: doc('stolen') }],
      ['DELETE', `/api/workflows/${id}`, undefined],
      ['POST', `/api/workflows/${id}/runs`, {}],
      ['POST', `/api/workflows/${id}/hook-secret/rotate`, {}],
      ['PUT', `/api/workflows/${id}/hook-secret`, { secret: 'an-attacker-chosen-secret-0000' }],
      ['GET', `/api/runs/${runId}`, undefined],
      ['GET', `/api/runs/${runId}/events`, undefined],
      ['POST', `/api/runs/${runId}/cancel`, {}],
      ['POST', `/api/runs/${runId}/retry`, {}],
      ['POST', `/api/approvals/${approval}`, { decision: 'approve' }],
    ];
    for (const [method, path, body] of attempts) {
      const reply = await call(tokens.bob, method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(reply.body)).not.toContain('ask');
    }
    const listed = (await call(tokens.bob, 'GET', '/api/workflows?limit=500')).body.workflows as {
      id: string;
    }[];
    expect(listed.map((w) => w.id)).not.toContain(id);
    const runs = (await call(tokens.bob, 'GET', `/api/runs?workflowId=${id}`)).body.runs as unknown[];
    expect(runs).toEqual([]);
    // Its owner and an admin see it; nothing was changed by bob's attempts.
    expect((await call(tokens.alice, 'GET', `/api/workflows/${id}`)).body).toMatchObject({ version: 1 });
    expect((await call(tokens.adam, 'GET', `/api/runs/${runId}`)).body).toMatchObject({ status: 'waiting' });
    expect(
      ((await call(tokens.alice, 'GET', `/api/runs?workflowId=${id}`)).body.runs as unknown[]).length,
    ).toBe(1);
  });

  it("a builder changes a workspace workflow of another only with workflow.manage_all; the hook secret is the owner's", async () => {
    const { id } = (await call(tokens.alice, 'POST', '/api/workflows', { document: doc('shared') })).body as {
      id: string;
    };
    const seen = (await call(tokens.bob, 'GET', `/api/workflows/${id}`)).body as {
      hook: { secret: unknown };
    };
    expect(seen.hook.secret).toBeNull();
    expect((await call(tokens.bob, 'PUT', `/api/workflows/${id}`, { document: doc('bobs') })).status).toBe(
      403,
    );
    expect((await call(tokens.bob, 'POST', `/api/workflows/${id}/hook-secret/rotate`, {})).status).toBe(403);
    const setByBob = await call(tokens.bob, 'PUT', `/api/workflows/${id}/hook-secret`, {
      secret: 'an-attacker-chosen-secret-0000',
    });
    expect(setByBob.status).toBe(403);
    const own = (await call(tokens.alice, 'GET', `/api/workflows/${id}`)).body as {
      hook: { secret: unknown };
    };
    expect(own.hook.secret).toEqual(expect.any(String));
    expect((await call(tokens.adam, 'PUT', `/api/workflows/${id}`, { document: doc('adams') })).status).toBe(
      200,
    );
    expect((await call(tokens.alice, 'DELETE', `/api/workflows/${id}`)).status).toBe(200);
  });
});

describe('tokens', () => {
  it('a token with scope run.read cannot start runs', async () => {
    const scoped = await mint('olga', { scopes: ['run.read', 'workflow.read'] });
    const { id } = (await call(SHARED, 'POST', '/api/workflows', { document: doc('scoped') })).body as {
      id: string;
    };
    expect((await call(tokens.olga, 'POST', `/api/workflows/${id}/runs`, {})).status).toBe(202);
    const refused = await call(scoped, 'POST', `/api/workflows/${id}/runs`, {});
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('E_FORBIDDEN');
    expect((await call(scoped, 'GET', `/api/runs?workflowId=${id}`)).status).toBe(200);
    expect((await call(scoped, 'GET', '/api/me')).body.permissions).toEqual(['workflow.read', 'run.read']);
  });

  it('cannot be minted with more than its role, by a token, for a higher role, or may-approve by a non-admin', async () => {
    const overRole = await call(SHARED, 'POST', '/api/tokens', {
      user: 'vera',
      name: 'x',
      scopes: ['run.start'],
    });
    expect(overRole.status).toBe(403);
    expect(overRole.body.error?.code).toBe('E_FORBIDDEN');
    const unknown = await call(SHARED, 'POST', '/api/tokens', { user: 'vera', name: 'x', scopes: ['root'] });
    expect(unknown.status).toBe(400);
    expect((await call(tokens.alice, 'POST', '/api/tokens', { name: 'more' })).status).toBe(403);
    expect((await call(tokens.adam, 'POST', '/api/tokens', { name: 'own' })).status).toBe(403);
    // The same rules hold for any credential that may mint (a web session is one): checked on a builder.
    const alice = (await db.sql`select id from users where name = 'alice'`)[0]!.id as string;
    const asAlice: Principal = {
      userId: alice,
      workspaceId: 'default',
      name: 'alice',
      role: 'builder',
      via: 'web',
      identity: 'web:session',
    };
    await expect(
      createToken(db.sql, asAlice, { userId: alice, name: 'x', scopes: ['user.manage'] }),
    ).rejects.toMatchObject({
      code: 'E_FORBIDDEN',
    });
    await expect(
      createToken(db.sql, asAlice, { userId: alice, name: 'x', mayApprove: true }),
    ).rejects.toMatchObject({
      code: 'E_FORBIDDEN',
    });
    const bob = (await db.sql`select id from users where name = 'bob'`)[0]!.id as string;
    await expect(createToken(db.sql, asAlice, { userId: bob, name: 'x' })).rejects.toMatchObject({
      code: 'E_FORBIDDEN',
    });
    const owner = await ensureLocalOwner(db.sql, 'cli');
    const adam = (await db.sql`select id from users where name = 'adam'`)[0]!.id as string;
    const asAdam: Principal = { ...asAlice, userId: adam, name: 'adam', role: 'admin' };
    await expect(
      createToken(db.sql, asAdam, { userId: owner.userId, name: 'x', scopes: ['run.read'] }),
    ).rejects.toMatchObject({
      code: 'E_FORBIDDEN',
    });
    const approving = await createToken(db.sql, asAdam, { userId: bob, name: 'bot', mayApprove: true });
    expect(approving.info.mayApprove).toBe(true);
    expect((await call(approving.token, 'GET', '/api/me')).body).toMatchObject({ user: { name: 'bob' } });
  });

  it('records last use at most once a minute', async () => {
    const token = await mint('vera');
    const id = token.split('_').slice(1, 3).join('_');
    const lastUsed = async () =>
      (await db.sql`select last_used_at from api_tokens where id = ${id}`)[0]?.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await call(token, 'GET', '/api/me');
    const first = (await lastUsed()) as Date;
    expect(first).toBeInstanceOf(Date);
    await call(token, 'GET', '/api/me');
    expect(((await lastUsed()) as Date).getTime()).toBe(first.getTime());
    await db.sql`update api_tokens set last_used_at = now() - interval '2 minutes' where id = ${id}`;
    await call(token, 'GET', '/api/me');
    expect(((await lastUsed()) as Date).getTime()).toBeGreaterThanOrEqual(first.getTime());
  });

  it('lists tokens without secrets; only admins list and revoke others', async () => {
    const listed = await call(tokens.alice, 'GET', '/api/tokens');
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(tokens.alice!.split('_').at(-1));
    expect((listed.body.tokens as { user: { name: string } }[]).every((t) => t.user.name === 'alice')).toBe(
      true,
    );
    expect((await call(tokens.alice, 'GET', '/api/tokens?user=bob')).status).toBe(403);
    const bobs = (await call(tokens.adam, 'GET', '/api/tokens?user=bob')).body.tokens as { id: string }[];
    expect(bobs.length).toBeGreaterThan(0);
    expect((await call(tokens.alice, 'DELETE', `/api/tokens/${bobs[0]!.id}`)).status).toBe(404);
    const [stored] = await db.sql`select secret_hash from api_tokens where id = ${bobs[0]!.id}`;
    expect(Buffer.from(stored!.secretHash as Uint8Array).toString('utf8')).not.toContain(
      tokens.bob!.split('_').at(-1),
    );
  });
});

describe('people', () => {
  it('the last owner cannot be demoted or disabled; admins cannot make or unmake owners', async () => {
    const owner = await ensureLocalOwner(db.sql, 'cli');
    const demote = await call(SHARED, 'PATCH', `/api/users/${owner.userId}`, { role: 'admin' });
    expect(demote.status).toBe(409);
    expect(demote.body.error?.code).toBe('E_LAST_OWNER');
    expect((await call(SHARED, 'PATCH', `/api/users/${owner.userId}`, { disabled: true })).status).toBe(409);
    expect((await call(tokens.adam, 'PATCH', `/api/users/${owner.userId}`, { role: 'viewer' })).status).toBe(
      403,
    );
    expect((await call(tokens.adam, 'PATCH', '/api/users/bob', { role: 'owner' })).status).toBe(403);
    expect((await call(tokens.adam, 'POST', '/api/users', { name: 'king', role: 'owner' })).status).toBe(403);
    expect((await call(tokens.adam, 'PATCH', '/api/users/bob', { role: 'operator' })).status).toBe(200);
    expect((await call(tokens.adam, 'PATCH', '/api/users/bob', { role: 'builder' })).status).toBe(200);
    expect(
      (
        await call(tokens.adam, 'POST', `/api/users/${owner.userId}/identities`, {
          provider: 'slack',
          subject: 'T9:U9',
        })
      ).status,
    ).toBe(403);
    // A second owner makes the first one demotable; then the second is the last.
    expect((await call(SHARED, 'POST', '/api/users', { name: 'olivia', role: 'owner' })).status).toBe(201);
    // With a second owner the local owner (the shell and the shared token) still stays an enabled owner.
    const shell = await call(SHARED, 'PATCH', `/api/users/${owner.userId}`, { disabled: true });
    expect(shell.status).toBe(409);
    expect(shell.body.error?.code).toBe('E_LOCAL_OWNER');
    expect((await call(SHARED, 'PATCH', '/api/users/olivia', { role: 'admin' })).status).toBe(200);
    expect((await db.sql`select role from users where id = ${owner.userId}`)[0]?.role).toBe('owner');
  });

  it('links and unlinks identities (never the local shell identity)', async () => {
    const linked = await call(tokens.adam, 'POST', '/api/users/alice/identities', {
      provider: 'slack',
      subject: 'T1:UALICE',
    });
    expect(linked.status).toBe(201);
    expect(linked.body.identities).toEqual([{ provider: 'slack', subject: 'T1:UALICE' }]);
    expect(
      (
        await call(tokens.adam, 'DELETE', '/api/users/bob/identities', {
          provider: 'slack',
          subject: 'T1:UALICE',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call(tokens.adam, 'DELETE', '/api/users/alice/identities', {
          provider: 'slack',
          subject: 'T1:UALICE',
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(SHARED, 'POST', '/api/users/alice/identities', { provider: 'local', subject: 'owner2' }))
        .status,
    ).toBe(400);
  });
});

describe('core.approval approvers', () => {
  it('only a named approver decides; the decider is the principal, never a body field', async () => {
    const { id } = (
      await call(SHARED, 'POST', '/api/workflows', { document: askDoc(['alice', 'role:admin']) })
    ).body as { id: string };
    const { runId } = (await call(tokens.olga, 'POST', `/api/workflows/${id}/runs`, {})).body as {
      runId: string;
    };
    const approval = await pendingApproval(runId);
    const forged = await call(tokens.olga, 'POST', `/api/approvals/${approval}`, {
      decision: 'approve',
      actor: 'alice',
    });
    expect(forged.status).toBe(400);
    const notNamed = await call(tokens.olga, 'POST', `/api/approvals/${approval}`, { decision: 'approve' });
    expect(notNamed.status).toBe(403);
    expect(notNamed.body.error?.code).toBe('E_FORBIDDEN');
    expect(
      (await call(tokens.bob, 'POST', `/api/approvals/${approval}`, { decision: 'approve' })).status,
    ).toBe(403);
    expect(
      (await call(tokens.vera, 'POST', `/api/approvals/${approval}`, { decision: 'approve' })).status,
    ).toBe(403);
    const decided = await call(tokens.alice, 'POST', `/api/approvals/${approval}`, { decision: 'approve' });
    expect(decided.status).toBe(200);
    const done = await waitForRun(db.sql, runId, { timeoutMs: 10_000 });
    expect(done.status).toBe('succeeded');
    const [row] = await db.sql`select decided_by from approvals where id = ${approval}`;
    expect(row?.decidedBy).toBe('alice');

    // A role entry: any admin or owner may decide.
    const second = (await call(tokens.olga, 'POST', `/api/workflows/${id}/runs`, {})).body as {
      runId: string;
    };
    const next = await pendingApproval(second.runId);
    expect((await call(tokens.adam, 'POST', `/api/approvals/${next}`, { decision: 'reject' })).status).toBe(
      200,
    );
  });

  it('an approval that names nobody may be decided by anyone with approval.decide who sees the run', async () => {
    const { id } = (await call(SHARED, 'POST', '/api/workflows', { document: askDoc([]) })).body as {
      id: string;
    };
    const { runId } = (await call(tokens.olga, 'POST', `/api/workflows/${id}/runs`, {})).body as {
      runId: string;
    };
    const approval = await pendingApproval(runId);
    expect(
      (await call(tokens.vera, 'POST', `/api/approvals/${approval}`, { decision: 'approve' })).status,
    ).toBe(403);
    expect(
      (await call(tokens.olga, 'POST', `/api/approvals/${approval}`, { decision: 'approve' })).status,
    ).toBe(200);
    expect(
      (await call(tokens.olga, 'POST', `/api/approvals/${approval}`, { decision: 'approve' })).status,
    ).toBe(409);
  });
});
