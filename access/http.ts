import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '../lib/index.ts';
import { allows, type Principal } from './principal.ts';
import { PERMISSION_MEANING, type Permission } from './roles.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the server's authentication hook (app/) from a token or a session; never from the body. */
    principal: Principal | undefined;
  }
}

/**
 * Turns a request into the person behind it. `undefined`: this resolver does not apply (no credential of its
 * kind); `'invalid'`: a credential of its kind that is wrong, expired or revoked (the request is refused, no
 * other resolver is asked).
 */
export type PrincipalResolver = (request: FastifyRequest) => Promise<Principal | undefined | 'invalid'>;

/** The authenticated person, or a 401. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal) return request.principal;
  throw new UnauthenticatedError({
    code: 'E_UNAUTHORIZED',
    message: 'Missing or wrong credentials.',
    hint: 'Send Authorization: Bearer <token> (create one with `vmesh tokens create`), or sign in on the web page.',
  });
}

/** The authenticated person when they hold `permission`; else 401 (nobody) or 403 (somebody without it). */
export function requirePermission(request: FastifyRequest, permission: Permission): Principal {
  const principal = principalOf(request);
  assertAllowed(principal, permission);
  return principal;
}

export function assertAllowed(principal: Principal, permission: Permission): void {
  if (allows(principal, permission)) return;
  throw new ForbiddenError({
    code: 'E_FORBIDDEN',
    message: `${principal.name} (${principal.role}) may not ${PERMISSION_MEANING[permission]}.`,
    hint: principal.scopes
      ? `This needs the "${permission}" permission: use a token with that scope, or ask an admin.`
      : `This needs the "${permission}" permission; ask an admin to change your role (\`vmesh users role\`).`,
    details: { permission },
  });
}
