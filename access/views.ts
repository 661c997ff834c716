import type { ApiToken } from './token-store.ts';
import type { User } from './user-store.ts';

/** A user as the API and `vmesh users list --json` show them. */
export function userView(user: User & { identities?: { provider: string; subject: string }[] }) {
  return {
    id: user.id,
    name: user.name,
    role: user.role,
    email: user.email,
    createdAt: user.createdAt.toISOString(),
    disabled: user.disabledAt !== null,
    ...(user.identities ? { identities: user.identities } : {}),
  };
}

/** A token as the API shows it (never its secret). */
export function tokenView(token: ApiToken) {
  return {
    id: token.id,
    user: { id: token.userId, name: token.userName },
    name: token.name,
    scopes: token.scopes,
    mayApprove: token.mayApprove,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}
