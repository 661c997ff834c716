import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ensureLocalOwner, type FrontEnd, type Principal, type PrincipalResolver } from '../access/index.ts';
import type { Sql } from '../db/index.ts';

export type AuthenticationOptions = {
  sql: Sql;
  /** The shared VMESH_API_TOKEN: whoever holds it acts as the workspace's local owner. */
  sharedToken: string | undefined;
  /** Asked in order after the shared token; the first that answers decides (per-user tokens, web sessions). */
  resolvers?: readonly PrincipalResolver[];
};

const digest = (value: string) => createHash('sha256').update(value).digest();

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

const OWNER_CACHE_MS = 10_000;

/**
 * Health checks, hooks (whose senders prove themselves with signatures) and resume URLs (the token is the
 * credential) never need a person; 404s neither.
 */
function needsPrincipal(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return (
    route !== undefined &&
    route !== '/healthz' &&
    !route.startsWith('/hooks/') &&
    !route.startsWith('/resume/')
  );
}

/** Which front-end a routed path belongs to, for the principal's `via`. */
export function frontEndOf(request: FastifyRequest): FrontEnd {
  const route = request.routeOptions.url ?? '';
  if (route.startsWith('/chat')) return 'web';
  if (route.startsWith('/mcp')) return 'mcp';
  return 'api';
}

/**
 * Sets `request.principal` on every request, before any handler: from the shared token, then the resolvers.
 * A request without a credential is nobody, on a loopback server too (other local users and processes reach
 * it): it gets no principal. It refuses nothing itself: each route family decides what it needs (`principalOf`,
 * `requirePermission` in access/).
 */
export function installAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  app.decorateRequest('principal', undefined);
  const shared = options.sharedToken ? digest(options.sharedToken) : undefined;
  app.addHook('onRequest', async (request) => {
    if (!needsPrincipal(request)) return;
    request.principal = await authenticate(request);
  });

  // The local owner is looked up at most once per OWNER_CACHE_MS, not on every request.
  let owner: { principal: Principal; at: number } | undefined;
  async function localOwner(via: FrontEnd): Promise<Principal> {
    if (!owner || Date.now() - owner.at > OWNER_CACHE_MS)
      owner = { principal: await ensureLocalOwner(options.sql, 'api'), at: Date.now() };
    return { ...owner.principal, via };
  }

  async function authenticate(request: FastifyRequest): Promise<Principal | undefined> {
    const via = frontEndOf(request);
    const bearer = bearerOf(request);
    if (bearer !== undefined && shared && timingSafeEqual(digest(bearer), shared)) {
      return { ...(await localOwner(via)), identity: 'token:shared' };
    }
    for (const resolve of options.resolvers ?? []) {
      const found = await resolve(request);
      if (found === 'invalid') return undefined;
      if (found) return found;
    }
    return undefined;
  }
}
