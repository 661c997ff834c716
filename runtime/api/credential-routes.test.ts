import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type Principal, toPrincipal } from '../../access/index.ts';
import { createHttpServer } from '../../app/server.ts';
import { apiTokenResolver } from '../../app/token-resolver.ts';
import {
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  httpConnector,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

// /api/credentials through the real server and per-user tokens: who sees which credential, which workflows use
// each, the last use a run records, test, rename and delete (refused while an active workflow uses it), and no
// secret in any answer.

const SHARED = 'shared-token-0123456789abcdef';
const secretKey = Buffer.alloc(32, 3).toString('base64');
const canary = 'canary-Secret+/=-77231-token';
let db: TestDatabase;
let app: FastifyInstance;
let worker: EngineWorker;
let fake: Server;
let base = '';
let store: CredentialStore;
const tokens: Record<string, string> = {};
const people: Record<string, Principal> = {};
/** Every answer body, searched for the canary at the end. */
const answers: string[] = [];

type Reply = {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
};
async function call(who: string, method: string, url: string, payload?: unknown): Promise<Reply> {
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${who === 'shared' ? SHARED : tokens[who]}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  answers.push(response.body);
  return { status: response.statusCode, body: response.body ? response.json() : {} };
}

type View = { name: string; usedBy: { id: string; name: string; active: boolean }[]; usedByHidden: number };
const listOf = (reply: Reply) => reply.body.credentials as View[];

const workflow = (name: string, credential: string, nested = false) => {
  const call = { id: 'call', uses: 'http.request', credential, with: { method: 'GET', url: `${base}/x` } };
  return {
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: nested
      ? [{ id: 'loop', uses: 'core.foreach', with: { items: '{{ [1] }}' }, do: { nodes: [call], edges: [] } }]
      : [call],
    edges: [],
  };
};
async function create(
  who: string,
  name: string,
  credential: string,
  options: { nested?: boolean; scope?: string } = {},
) {
  const created = await call(who, 'POST', '/api/workflows', {
    document: workflow(name, credential, options.nested),
    scope: options.scope ?? 'workspace',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return String(created.body.id);
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  fake = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const address = fake.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: SHARED, publicUrl: 'http://localhost' },
    principalResolvers: [apiTokenResolver(db.sql)],
  });
  const engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
    connectors: [httpConnector],
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  worker = await engine.startWorker({ concurrency: 2 });
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: credentialTypesOf([httpConnector]),
  });
  for (const [name, role] of [
    ['alice', 'builder'],
    ['bob', 'builder'],
    ['vera', 'viewer'],
    ['adam', 'admin'],
  ] as const) {
    people[name] = toPrincipal(await createUser(db.sql, { name, role }), 'cli', `local:${name}`);
    const minted = await call('shared', 'POST', '/api/tokens', { user: name, name: `${name}-token` });
    expect(minted.status, JSON.stringify(minted.body)).toBe(201);
    tokens[name] = String(minted.body.token);
  }
  await store.set('aliceApi', 'http', { scheme: 'bearer', token: canary }, people.alice);
  await store.set('bobApi', 'http', { scheme: 'bearer', token: `${canary}-bob` }, people.bob);
  await store.set('teamApi', 'http', { scheme: 'bearer', token: `${canary}-team` }, people.bob);
  await store.share('teamApi', 'workspace', people.bob as Principal);
});
afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await new Promise((resolve) => fake?.close(resolve));
  await db?.drop();
});

describe('/api/credentials', () => {
  it('lists { name, type, state, … } of the credentials the caller may use, with the workflows they may see', async () => {
    const own = await create('alice', 'alice nested', 'aliceApi', { nested: true });
    const mine = await create('alice', 'alice team', 'teamApi', { scope: 'private' });
    await create('bob', 'bob private team', 'teamApi', { scope: 'private' });

    const alice = await call('alice', 'GET', '/api/credentials');
    expect(alice.status).toBe(200);
    expect(listOf(alice).map((row) => row.name)).toEqual(['aliceApi', 'teamApi']);
    expect(listOf(alice)[0]).toEqual({
      name: 'aliceApi',
      type: 'http',
      owner: 'alice',
      scope: 'private',
      state: 'connected',
      stateReason: null,
      lastUsedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      usedBy: [{ id: own, name: 'alice nested', active: false }],
      usedByHidden: 0,
    });
    expect(listOf(alice)[1]).toMatchObject({
      usedBy: [{ id: mine, name: 'alice team', active: false }],
      usedByHidden: 1,
    });

    const admin = await call('adam', 'GET', '/api/credentials');
    expect(listOf(admin).map((row) => row.name)).toEqual(['aliceApi', 'bobApi', 'teamApi']);
    expect(listOf(admin)[2]?.usedBy.map((user) => user.name)).toEqual(['alice team', 'bob private team']);

    expect((await call('vera', 'GET', '/api/credentials')).status).toBe(403);
    expect((await call('alice', 'GET', '/api/credentials/bobApi')).status).toBe(404);
    expect((await call('alice', 'GET', '/api/credentials/teamApi')).body).toMatchObject({
      name: 'teamApi',
      owner: 'bob',
      scope: 'workspace',
    });
  });

  it('a run that decrypts the credential records its last use, at most once a minute', async () => {
    const id = await create('alice', 'used', 'aliceApi');
    const started = await call('alice', 'POST', `/api/workflows/${id}/runs`, {});
    expect((await waitForRun(db.sql, String(started.body.runId), { timeoutMs: 20_000 })).status).toBe(
      'succeeded',
    );
    const first = (await call('alice', 'GET', '/api/credentials/aliceApi')).body.lastUsedAt;
    expect(first).toEqual(expect.any(String));
    const again = await call('alice', 'POST', `/api/workflows/${id}/runs`, {});
    await waitForRun(db.sql, String(again.body.runId), { timeoutMs: 20_000 });
    expect((await call('alice', 'GET', '/api/credentials/aliceApi')).body.lastUsedAt).toBe(first);
    await call('alice', 'DELETE', `/api/workflows/${id}`);
  });

  it('shows a state other than connected, with its reason redacted', async () => {
    await store.get('bobApi');
    await store.setState('bobApi', 'needs_reconnect', `Slack said invalid_auth for ${canary}-bob`);
    const shown = await call('bob', 'GET', '/api/credentials/bobApi');
    expect(shown.body).toMatchObject({ state: 'needs_reconnect' });
    expect(String(shown.body.stateReason)).toContain('invalid_auth');
    await store.setState('bobApi', 'connected');
    expect((await call('bob', 'GET', '/api/credentials/bobApi')).body).toMatchObject({
      state: 'connected',
      stateReason: null,
    });
  });

  it('tests a credential: decrypts it and checks it against its type', async () => {
    const tested = await call('alice', 'POST', '/api/credentials/aliceApi/test');
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ name: 'aliceApi', type: 'http', ok: null });
    expect(String(tested.body.message)).toContain('No test for type "http"');
    // Stored by tooling that did not know the type's schema: it no longer fits.
    const loose = createCredentialStore({ sql: db.sql, key: parseSecretKey(secretKey) });
    await loose.set('broken', 'http', { scheme: 'nonsense' }, people.alice);
    const broken = await call('alice', 'POST', '/api/credentials/broken/test');
    expect(broken.body).toMatchObject({ ok: false });
    expect(String(broken.body.message)).toContain('not a valid "http" credential');
    expect((await call('alice', 'POST', '/api/credentials/bobApi/test')).status).toBe(404);
  });

  it('refuses to delete or rename a credential an active workflow uses, unless forced; audits both', async () => {
    const id = await create('alice', 'active user', 'aliceApi');
    expect((await call('alice', 'POST', `/api/workflows/${id}/activate`)).status).toBe(200);

    expect((await call('bob', 'DELETE', '/api/credentials/aliceApi')).status).toBe(404);
    expect((await call('alice', 'DELETE', '/api/credentials/teamApi')).body.error?.code).toBe('E_FORBIDDEN');
    expect((await call('vera', 'DELETE', '/api/credentials/aliceApi')).status).toBe(403);

    const refused = await call('alice', 'DELETE', '/api/credentials/aliceApi');
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('E_CREDENTIAL_IN_USE');
    expect(refused.body.error?.message).toContain('"active user"');
    const renameRefused = await call('alice', 'PATCH', '/api/credentials/aliceApi', { name: 'aliceApi2' });
    expect(renameRefused.status).toBe(409);
    expect(renameRefused.body.error?.code).toBe('E_CREDENTIAL_IN_USE');
    expect(
      (await call('alice', 'PATCH', '/api/credentials/aliceApi', { name: 'teamApi', force: true })).body.error
        ?.code,
    ).toBe('E_CREDENTIAL_EXISTS');
    expect((await call('alice', 'PATCH', '/api/credentials/aliceApi', { name: 'no spaces' })).status).toBe(
      400,
    );

    const renamed = await call('alice', 'PATCH', '/api/credentials/aliceApi', {
      name: 'aliceApi2',
      force: true,
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'aliceApi2', owner: 'alice', usedBy: [] });
    expect((await call('alice', 'GET', '/api/credentials/aliceApi')).status).toBe(404);
    // The workflow still names the old name: it now fails as for a missing credential.
    const run = await call('alice', 'POST', `/api/workflows/${id}/runs`, {});
    const view = await waitForRun(db.sql, String(run.body.runId), { timeoutMs: 20_000 });
    expect(view.status).toBe('failed');
    expect(view.steps[0]?.error).toMatchObject({
      message: 'The credential "aliceApi" used by node "call" does not exist.',
    });

    // Back under the old name: the workflow uses it again, so delete is refused, then forced.
    expect(
      (await call('alice', 'PATCH', '/api/credentials/aliceApi2', { name: 'aliceApi' })).body,
    ).toMatchObject({
      usedBy: [
        { id, name: 'active user', active: true },
        { id: expect.any(String), name: 'alice nested', active: false },
      ],
    });
    expect((await call('alice', 'DELETE', '/api/credentials/aliceApi')).status).toBe(409);
    const deleted = await call('alice', 'DELETE', '/api/credentials/aliceApi?force=true');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({
      name: 'aliceApi',
      deleted: true,
      usedBy: [{ id, active: true }, { active: false }],
    });
    expect((await call('alice', 'DELETE', '/api/credentials/aliceApi')).status).toBe(404);

    const entries = await db.sql`
      select action, actor, details from audit_log where subject_type = 'credential' and action in ('credential.renamed', 'credential.deleted') order by id`;
    expect(entries.map((row) => [row.action, row.actor, row.details])).toEqual([
      [
        'credential.renamed',
        'alice',
        { from: 'aliceApi', to: 'aliceApi2', forced: true, activeWorkflows: [id] },
      ],
      ['credential.renamed', 'alice', { from: 'aliceApi2', to: 'aliceApi' }],
      ['credential.deleted', 'alice', { forced: true, activeWorkflows: [id] }],
    ]);
  });

  it('an unused (or only inactively used) credential is deleted without force', async () => {
    await create('bob', 'inactive user', 'bobApi');
    const deleted = await call('bob', 'DELETE', '/api/credentials/bobApi');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ deleted: true, usedBy: [{ name: 'inactive user', active: false }] });
  });

  it('lists the declared credential types with their fields, and says truly how each is connected', async () => {
    const listed = await call('alice', 'GET', '/api/credential-types');
    expect(listed.status).toBe(200);
    type TypeView = {
      type: string;
      title?: string;
      connect: string;
      fields: { name: string; secret: boolean; optional: boolean; list: boolean }[];
      settings?: { name: string; secret: boolean; optional: boolean; list: boolean }[];
    };
    const types = listed.body.types as TypeView[];
    const byType = new Map(types.map((view) => [view.type, view]));
    expect([...byType.keys()]).toEqual(
      credentialTypesOf([httpConnector])
        .map((d) => d.type)
        .sort(),
    );
    expect(byType.get('http')).toMatchObject({ title: 'HTTP', connect: 'none', fields: [] });
    expect(byType.get('bearer')).toMatchObject({
      connect: 'paste',
      fields: [{ name: 'token', secret: true, optional: false, list: false }],
    });
    expect(byType.get('api-key-header')?.fields.map((field) => [field.name, field.secret])).toEqual([
      ['name', false],
      ['value', true],
    ]);
    expect(byType.get('oauth2')).toMatchObject({ connect: 'oauth2' });
    expect(byType.get('oauth2')?.settings?.map((field) => [field.name, field.secret, field.list])).toEqual([
      ['authorizeUrl', false, false],
      ['tokenUrl', false, false],
      ['clientId', false, false],
      ['clientSecret', true, false],
      ['scopes', false, true],
      ['provider', false, false],
    ]);
    // What the listing says is what POST /connect does: every paste type gets a link, the others are refused.
    for (const view of types) {
      const body =
        view.connect === 'oauth2'
          ? {
              type: view.type,
              fields: {
                authorizeUrl: 'https://id.example.com/authorize',
                tokenUrl: 'https://id.example.com/token',
                clientId: 'app',
                clientSecret: `${canary}-client`,
              },
            }
          : { type: view.type };
      const linked = await call('alice', 'POST', `/api/credentials/new-${view.type}/connect`, body);
      expect(linked.status, `${view.type}: ${JSON.stringify(linked.body)}`).toBe(
        view.connect === 'none' ? 400 : 200,
      );
    }
    expect((await call('vera', 'GET', '/api/credential-types')).status).toBe(403);
  });

  it('never answers with a secret', () => {
    const all = answers.join('\n');
    expect(all).toContain('aliceApi');
    expect(all).not.toContain(canary);
    expect(all).not.toContain(Buffer.from(canary).toString('base64'));
  });
});
