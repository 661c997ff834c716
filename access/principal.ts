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
   * Set (true) when the request came with an API token an admin minted with `may_approve`: it may approve
   * proposals without a human confirming. Absent for every other credential.
   */
  tokenMayApprove?: boolean | undefined;
  /**
   * Set (true) when a person signed in to this server in a browser (a web session cookie) made the request, not a
   * program holding a token: what a human step (an approval link's confirmation) requires.
   */
  browserSession?: boolean | undefined;
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
