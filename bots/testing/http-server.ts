import type { FastifyInstance } from 'fastify';
import { createToken, createUser, ensureLocalOwner, type Role } from '../../access/index.ts';
import { createHttpServer } from '../../app/server.ts';
import { apiTokenResolver } from '../../app/token-resolver.ts';
import { createWebAuth, parseWebAuthConfig } from '../../app/web-auth/index.ts';
import type { Sql } from '../../db/index.ts';

/**
 * The HTTP server as the app builds it, on a test database: the shared token (or, without one, loopback) acts
 * as the local owner, per-user `vmt_` tokens as their users; route families refuse requests without a person.
 */
export function createTestHttpServer(
  sql: Sql,
  url: string,
  apiToken?: string,
  options: { webSessions?: boolean } = {},
): FastifyInstance {
  // With webSessions: the app's sign-in too (sessions from one-time links; signInWithLink in app/web-auth/testing).
  const webAuth = options.webSessions
    ? createWebAuth({ sql, config: parseWebAuthConfig({}, 'http://localhost') })
    : undefined;
  const server = createHttpServer({
    database: { sql, url, kind: 'external', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken, publicUrl: 'http://localhost' },
    principalResolvers: [apiTokenResolver(sql), ...(webAuth ? [webAuth.resolvePrincipal] : [])],
  });
  webAuth?.register(server);
  return server;
}

/** A new user with a per-user API token (minted by the local owner). */
export async function userWithToken(sql: Sql, name: string, role: Role): Promise<string> {
  const owner = await ensureLocalOwner(sql, 'cli');
  const user = await createUser(sql, { name, role });
  return (await createToken(sql, owner, { userId: user.id, name: `${name}-test` })).token;
}
