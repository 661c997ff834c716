import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, credentialsUsableBy, type Principal, toPrincipal } from '../../access/index.ts';
import {
  type CredentialStore,
  createCredentialStore,
  httpConnector,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// A workflow may use only the credentials its OWNER may use: their own, the workspace-shared ones, or any when
// the owner is an admin or there is no owner (workflows from before owners). Through the real worker.

const secretKey = Buffer.alloc(32, 5).toString('base64');
const canary = 'canary-bob-Secret+/=&?-9931-token';
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let server: Server;
let base = '';
let store: CredentialStore;
const calls: (string | undefined)[] = [];
let alice: Principal;
let bob: Principal;
let carol: Principal;
let admin: Principal;

function handle(request: IncomingMessage, response: ServerResponse): void {
  calls.push(request.headers.authorization);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end('{"ok":true}');
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [httpConnector],
    },
  );
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: httpConnector.credential ? [httpConnector.credential] : [],
  });
  const person = async (name: string, role: 'builder' | 'admin') =>
    toPrincipal(await createUser(db.sql, { name, role }), 'cli', `local:${name}`);
  alice = await person('alice', 'builder');
  bob = await person('bob', 'builder');
  carol = await person('carol', 'builder');
  admin = await person('ada', 'admin');
  await store.set('bobApi', 'http', { scheme: 'bearer', token: canary }, bob);
  await store.set('teamApi', 'http', { scheme: 'bearer', token: 'team-token-123456' }, carol);
  await store.share('teamApi', 'workspace', carol);
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await new Promise((resolve) => server.close(resolve));
  await db?.drop();
});

async function runAs(owner: Principal | null, credential: string) {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name: `uses ${credential}`,
    trigger: { type: 'manual' },
    nodes: [
      {
        id: 'call',
        uses: 'http.request',
        credential,
        retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
        with: { method: 'GET', url: `${base}/x` },
      },
    ],
    edges: [],
  });
  if (owner) await db.sql`update workflows set owner_id = ${owner.userId} where id = ${id}`;
  const { runId } = await startRun(db.sql, id, {});
  const view = await waitForRun(db.sql, runId, { timeoutMs: 20_000 });
  const events = await db.sql`select type, payload from run_events where run_id = ${runId} order by seq`;
  return { view, events };
}

describe('a workflow uses only credentials its owner may use', () => {
  it("a builder's workflow using another builder's private credential fails, without retries and without the secret", async () => {
    const before = calls.length;
    const { view, events } = await runAs(alice, 'bobApi');
    expect(view.status).toBe('failed');
    const step = view.steps.find((candidate) => candidate.id === 'call');
    expect(step?.error).toMatchObject({ code: 'E_CREDENTIAL_FORBIDDEN', retryable: false });
    expect(JSON.stringify(step?.error)).toContain('"bobApi"');
    expect(JSON.stringify(step?.error)).toContain('vmesh credentials share bobApi');
    expect(events.map((event) => event.type)).not.toContain('step.retrying');
    expect(calls.length).toBe(before);
    const stored = JSON.stringify({ view, events, steps: await db.sql`select * from steps` });
    expect(stored).not.toContain(canary);
    expect(stored).not.toContain(Buffer.from(canary).toString('base64'));
  });

  it('works once its owner shares it, and stops again when they unshare it', async () => {
    await store.share('bobApi', 'workspace', bob);
    const shared = await runAs(alice, 'bobApi');
    expect(shared.view.status).toBe('succeeded');
    expect(calls.at(-1)).toBe(`Bearer ${canary}`);
    await store.share('bobApi', 'private', bob);
    expect((await runAs(alice, 'bobApi')).view.status).toBe('failed');
  });

  it("a workspace-shared credential, the owner's own, an admin's workflow and an ownerless (legacy) workflow work", async () => {
    expect((await runAs(alice, 'teamApi')).view.status).toBe('succeeded');
    expect((await runAs(bob, 'bobApi')).view.status).toBe('succeeded');
    expect((await runAs(admin, 'bobApi')).view.status).toBe('succeeded');
    expect((await runAs(null, 'bobApi')).view.status).toBe('succeeded');
  });

  it("an operator's or a disabled builder's workflow may use no credential, not even a shared one", async () => {
    const olga = toPrincipal(
      await createUser(db.sql, { name: 'olga', role: 'operator' }),
      'cli',
      'local:olga',
    );
    const operated = await runAs(olga, 'teamApi');
    expect(operated.view.steps[0]?.error).toMatchObject({ code: 'E_CREDENTIAL_FORBIDDEN' });
    expect(JSON.stringify(operated.view.steps[0]?.error)).toContain('a role that uses no credentials');
    await db.sql`update users set disabled_at = now() where id = ${carol.userId}`;
    const disabled = await runAs(carol, 'teamApi');
    expect(JSON.stringify(disabled.view.steps[0]?.error)).toContain('is disabled');
    await db.sql`update users set disabled_at = null where id = ${carol.userId}`;
    expect((await runAs(carol, 'teamApi')).view.status).toBe('succeeded');
  });

  it('credentialsUsableBy tells the approval policy what a person may use and what others shared', async () => {
    const uses = await credentialsUsableBy(db.sql, alice.userId, ['bobApi', 'teamApi', 'nope']);
    expect(uses).toEqual([
      expect.objectContaining({
        name: 'bobApi',
        exists: true,
        usable: false,
        scope: 'private',
        ownerName: 'bob',
      }),
      expect.objectContaining({ name: 'teamApi', usable: true, sharedByOther: true, ownerName: 'carol' }),
      expect.objectContaining({ name: 'nope', exists: false, usable: false }),
    ]);
    const own = await credentialsUsableBy(db.sql, bob.userId, ['bobApi']);
    expect(own[0]).toMatchObject({ usable: true, sharedByOther: false });
  });

  it("another builder may not share, replace or delete somebody's credential", async () => {
    await expect(store.share('bobApi', 'workspace', alice)).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    await expect(
      store.set('bobApi', 'http', { scheme: 'bearer', token: 'alice-1234567' }, alice),
    ).rejects.toMatchObject({
      code: 'E_FORBIDDEN',
    });
    await expect(store.delete('bobApi', alice)).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    expect(await store.share('bobApi', 'workspace', admin)).toMatchObject({
      scope: 'workspace',
      ownerName: 'bob',
    });
  });
});
