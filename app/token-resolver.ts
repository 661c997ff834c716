import { type PrincipalResolver, resolveToken } from '../access/index.ts';
import type { Sql } from '../db/index.ts';
import { bearerOf, frontEndOf } from './authenticate.ts';

/**
 * `Authorization: Bearer vmt_…` → the token's user, with the token's scopes and `via` from the route family.
 * A revoked, expired, unknown or malformed `vmt_` token, or one whose user is disabled, is 'invalid' (the
 * request goes on without a principal, and /api, /mcp and /chat/api refuse it with 401).
 */
export function apiTokenResolver(sql: Sql): PrincipalResolver {
  return async (request) => {
    const bearer = bearerOf(request);
    if (bearer === undefined) return undefined;
    return resolveToken(sql, bearer, frontEndOf(request));
  };
}
