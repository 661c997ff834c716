import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, linkIdentity, resolveIdentity } from '../../access/index.ts';
import { createHttpServer } from '../../app/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices } from '../services.ts';

// GET /api/audit and /api/audit/verify over a real HTTP server: every API change is an entry naming the person
// and `via`, with the document hashes; only holders of audit.read may read the log (a viewer gets 403).

let db: TestDatabase;
let server: FastifyInstance;
let base = '';
const VIEWER_BEARER = 'viewer-test-bearer-0123456789';
/** The shared token: its holder is the local owner (nobody without a credential is anybody). */
const OWNER_BEARER = 'owner-shared-token-0123456789';

beforeAll(async () => {
  db = await createTestDatabase();
  const vera = await createUser(db.sql, { name: 'vera', role: 'viewer' });
  await linkIdentity(db.sql, vera.id, 'testtoken', 'vera');
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  // A loopback server with the shared token (the local owner); the test bearer is the viewer, read from the
  // database like a per-user token would be.
  server = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: OWNER_BEARER, publicUrl: 'http://localhost' },
    principalResolvers: [
      async (request) =>
        request.headers.authorization === `Bearer ${VIEWER_BEARER}`
          ? ((await resolveIdentity(db.sql, 'testtoken', 'vera', 'api')) ?? 'invalid')
          : undefined,
    ],
  });
  const engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') },
    connectors: [],
  });
  engine.registerHttp(server, { publicUrl: 'http://127.0.0.1' });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const call = async (method: string, path: string, body?: unknown, bearer = OWNER_BEARER) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      authorization: `Bearer ${bearer}`,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const doc = (name: string, text: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [{ id: 'shape', uses: 'core.transform', with: { value: text } }],
  edges: [],
});

describe('the audit API', () => {
  it('records API changes with the person, via and the document hashes, and serves them newest first with a cursor', async () => {
    const created = await call('POST', '/api/workflows', { document: doc('audited', 'one') });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const updated = await call('PUT', `/api/workflows/${id}`, { document: doc('audited', 'two') });
    expect(updated.status).toBe(200);
    expect((await call('POST', `/api/workflows/${id}/activate`)).status).toBe(200);
    expect((await call('POST', `/api/workflows/${id}/hook-secret/rotate`, { graceSeconds: 0 })).status).toBe(
      200,
    );

    const page = await call('GET', `/api/audit?subject=workflow:${id}&limit=2`);
    expect(page.status).toBe(200);
    const entries = page.body.entries as Record<string, unknown>[];
    expect(entries.map((entry) => entry.action)).toEqual(['hook_secret.rotated', 'workflow.activated']);
    expect(entries[0]).toMatchObject({ actor: 'owner', via: 'api', identity: 'token:shared' });
    expect(JSON.stringify(page.body)).not.toContain('"secret":');
    const next = await call(
      'GET',
      `/api/audit?subject=workflow:${id}&limit=2&cursor=${String(page.body.nextCursor)}`,
    );
    const older = next.body.entries as Record<string, unknown>[];
    expect(older.map((entry) => entry.action)).toEqual(['workflow.updated', 'workflow.created']);
    expect(older[0]).toMatchObject({
      beforeHash: created.body.contentHash,
      afterHash: updated.body.contentHash,
    });
    expect(next.body.nextCursor).toBeNull();
    expect(
      (await call('GET', '/api/audit?actor=owner&since=1h&action=workflow.created')).body.entries,
    ).toHaveLength(1);
    expect((await call('GET', '/api/audit/verify')).body).toMatchObject({ ok: true, entries: 4 });
    expect((await call('GET', '/api/audit?since=yesterday-ish')).status).toBe(400);
    expect((await call('GET', '/api/audit?cursor=1;drop')).status).toBe(400);
  });

  it('a viewer may not read the audit log or verify it (403 E_FORBIDDEN naming audit.read)', async () => {
    const me = await call('GET', '/api/me', undefined, VIEWER_BEARER);
    expect(me.body).toMatchObject({ user: { name: 'vera', role: 'viewer' } });
    for (const path of ['/api/audit', '/api/audit/verify']) {
      const refused = await call('GET', path, undefined, VIEWER_BEARER);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({
        code: 'E_FORBIDDEN',
        details: { permission: 'audit.read' },
      });
    }
  });
});
