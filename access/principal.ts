import type { Permission, Role } from './roles.ts';
import { roleAllows } from './roles.ts';

/** Where a request came from. */
export type FrontEnd = 'api' | 'web' | 'slack' | 'discord' | 'mcp' | 'cli' | 'system';

/** The person behind a request, resolved from a front-end identity; never taken from a request body. */
export type Principal = {
  userId: string;
  workspaceId: string;
  /** The user's name in the workspace (what people see: `alice`). */
  name: string;
  role: Role;
  via: FrontEnd;
  /** The front-end identity that was resolved, e.g. `slack:T1:U2`, `token:tok_ab12`, `local:owner`. */
  identity: string;
  /**
   * Set when the request was authenticated by an API token with scopes: the principal may do only what
   * both its role and the token's scopes allow.
   */
  scopes?: readonly Permission[] | undefined;
  /**
   * Set on a principal authenticated by an API token an admin allowed to approve proposals by itself (an
   * assistant over MCP otherwise gets a one-time approval link for a person to open).
   */
  tokenMayApprove?: boolean | undefined;
};

/** True when the principal's role, narrowed by its token's scopes when it has one, allows `permission`. */
export function allows(principal: Principal, permission: Permission): boolean {
  if (!roleAllows(principal.role, permission)) return false;
  return principal.scopes === undefined || principal.scopes.includes(permission);
}

/** How a principal is named in records (proposals' created_by, approvals' decided_by, the audit log). */
export function actorLabel(principal: Principal): string {
  return `${principal.name} (${principal.identity})`;
}
