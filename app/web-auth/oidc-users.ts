import { createUser, DEFAULT_WORKSPACE, linkIdentity, UserName } from '../../access/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import type { OidcIdentity } from './oidc-client.ts';
import type { OidcConfig } from './web-auth-config.ts';

export type OidcUserResult =
  | { kind: 'user'; userId: string; created: boolean }
  | { kind: 'refused'; message: string; hint: string; command?: string | undefined };

function refused(message: string, hint: string, command?: string): OidcUserResult {
  return { kind: 'refused', message, hint, command };
}

/** A valid user name from what the provider suggested (`Ann Lee` → `Ann-Lee`), never empty. */
export function userNameFrom(suggested: string | undefined): string {
  const cleaned = (suggested ?? '')
    .replace(/[^A-Za-z0-9_.@-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 56)
    .replace(/-+$/, '');
  return UserName.safeParse(cleaned).success ? cleaned : 'user';
}

async function freeName(tx: TransactionSql, base: string): Promise<string> {
  for (let n = 1; n <= 50; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    const taken = await tx`select 1 from users where workspace_id = ${DEFAULT_WORKSPACE} and name = ${name}`;
    if (taken.length === 0) return name;
  }
  return `${base}-${Date.now().toString(36)}`;
}

/**
 * The user an OIDC identity signs in as: the user linked to `oidc` / `ISSUER|SUB`; else the one user created
 * with that email, without an OIDC identity yet, when the provider verified it (the identity is linked then); else, with
 * VMESH_OIDC_DEFAULT_ROLE, a new user with that role; else nobody (an admin links the identity first).
 */
export async function userForOidcIdentity(
  sql: Sql,
  identity: OidcIdentity,
  config: OidcConfig,
): Promise<OidcUserResult> {
  if (config.allowedDomains.length > 0) {
    const domain = identity.email?.split('@').at(-1);
    if (!identity.emailVerified || !domain || !config.allowedDomains.includes(domain)) {
      return refused(
        'This sign-in is limited to verified email addresses of the allowed domains.',
        `Sign in with an account of ${config.allowedDomains.join(', ')}.`,
      );
    }
  }
  return sql.begin(async (tx) => {
    // Two first sign-ins of one person at once must not make two users.
    await tx`select pg_advisory_xact_lock(hashtext(${`vmesh.oidc:${identity.subject}`}))`;
    const linked = await tx`
      select u.id, u.disabled_at from user_identities i join users u on u.id = i.user_id
      where i.provider = 'oidc' and i.subject = ${identity.subject}`;
    if (linked[0]) {
      if (linked[0].disabledAt) return refused('This account is disabled.', 'Ask an admin to enable it.');
      return { kind: 'user', userId: String(linked[0].id), created: false };
    }
    if (identity.email && identity.emailVerified) {
      // Only a user who has no OIDC identity yet: an address the provider hands to somebody new later must
      // not take over the account of the person it was linked to.
      const byEmail = await tx`
        select u.id, u.disabled_at from users u
        where u.workspace_id = ${DEFAULT_WORKSPACE} and lower(u.email) = ${identity.email}
          and not exists (select 1 from user_identities i where i.user_id = u.id and i.provider = 'oidc')`;
      if (byEmail.length === 1 && byEmail[0]) {
        if (byEmail[0].disabledAt) return refused('This account is disabled.', 'Ask an admin to enable it.');
        await linkIdentity(tx, String(byEmail[0].id), 'oidc', identity.subject);
        return { kind: 'user', userId: String(byEmail[0].id), created: false };
      }
    }
    if (!config.defaultRole) {
      return refused(
        'This workspace does not know you yet.',
        'Ask an admin to link your sign-in to your user:',
        `vmesh users link NAME oidc '${identity.subject}'`,
      );
    }
    const name = await freeName(tx, userNameFrom(identity.suggestedName));
    const user = await createUser(tx, {
      name,
      role: config.defaultRole,
      email: identity.emailVerified ? identity.email : undefined,
    });
    await linkIdentity(tx, user.id, 'oidc', identity.subject);
    return { kind: 'user', userId: user.id, created: true };
  });
}
