import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createEngineServices } from '../runtime/index.ts';
import { createHttpServer } from './server.ts';

const TOKEN = 'shared-token-0123456789abcdef';
let db: TestDatabase;
const servers: FastifyInstance[] = [];

async function serverWith(options: {
  apiToken?: string;
  resolver?: (bearer: string) => Principal | 'invalid';
}) {
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  const server = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: options.apiToken, publicUrl: 'http://localhost' },
    principalResolvers: options.resolver
      ? [
          async (request) => {
            const header = request.headers.authorization;
            return header?.startsWith('Bearer user-') ? options.resolver?.(header.slice(7)) : undefined;
          },
        ]
      : [],
  });
  const engine = await createEngineServices(database, {
    env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') },
    connectors: [],
  });
  engine.registerHttp(server, { publicUrl: 'http://127.0.0.1' });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await db.drop();
});

describe('authentication', () => {
  it('a loopback server without tokens is closed: a caller without a credential is nobody (401)', async () => {
    const server = await serverWith({});
    for (const url of ['/api/me', '/api/workflows']) {
      const me = await server.inject({ method: 'GET', url });
      expect(me.statusCode, url).toBe(401);
      expect(me.json().error.code).toBe('E_UNAUTHORIZED');
    }
  });

  it('with the shared token configured, only its holder is the owner; nobody else is anybody', async () => {
    const server = await serverWith({ apiToken: TOKEN });
    const ok = await server.inject({
      method: 'GET',
      url: '/api/me',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.json()).toMatchObject({ user: { role: 'owner' }, identity: 'token:shared', via: 'api' });
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: 'Basic abc' }]) {
      const refused = await server.inject({ method: 'GET', url: '/api/me', headers });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('E_UNAUTHORIZED');
    }
  });

  it('asks the resolvers after the shared token, and a wrong credential never falls back to the owner', async () => {
    const viewer: Principal = {
      userId: 'usr_v',
      workspaceId: 'default',
      name: 'vera',
      role: 'viewer',
      via: 'api',
      identity: 'token:tok_v',
    };
    const server = await serverWith({ resolver: (bearer) => (bearer === 'user-vera' ? viewer : 'invalid') });
    const me = await server.inject({
      method: 'GET',
      url: '/api/me',
      headers: { authorization: 'Bearer user-vera' },
    });
    expect(me.json()).toMatchObject({
      user: { name: 'vera', role: 'viewer' },
      permissions: ['workflow.read', 'run.read'],
    });
    const wrong = await server.inject({
      method: 'GET',
      url: '/api/me',
      headers: { authorization: 'Bearer user-x' },
    });
    expect(wrong.statusCode).toBe(401);
    const unknownKind = await server.inject({
      method: 'GET',
      url: '/api/me',
      headers: { authorization: 'Bearer zzz' },
    });
    expect(unknownKind.statusCode).toBe(401);
  });
});
