import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../../db/index.ts';

const linkIdOf = (token: string) => createHash('sha256').update(`vmesh-login-link:${token}`).digest('hex');

/** Longest a one-time link may live. */
export const MAX_LINK_TTL_MS = 24 * 3_600_000;
export const DEFAULT_LINK_TTL_MS = 15 * 60_000;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Makes a one-time sign-in token for a user; only its hash is stored. */
export async function createLoginLink(
  sql: Sql,
  userId: string,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  await sql`delete from web_login_links where expires_at < now() - interval '1 day'`;
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + Math.min(ttlMs, MAX_LINK_TTL_MS));
  await sql`insert into web_login_links (id, user_id, expires_at) values (${linkIdOf(token)}, ${userId}, ${expiresAt})`;
  return { token, expiresAt };
}

export type LinkState = { state: 'usable'; userName: string } | { state: 'unusable' };

/** Whether a link can still be used, and by whom (for the confirmation page); uses nothing up. */
export async function peekLoginLink(sql: Sql, token: string): Promise<LinkState> {
  if (!TOKEN_PATTERN.test(token)) return { state: 'unusable' };
  const rows = await sql`
    select u.name from web_login_links l join users u on u.id = l.user_id
    where l.id = ${linkIdOf(token)} and l.used_at is null and l.expires_at > now() and u.disabled_at is null`;
  return rows[0] ? { state: 'usable', userName: String(rows[0].name) } : { state: 'unusable' };
}

/** Uses a link up (one winner even under concurrent requests) and returns its user, or undefined. */
export async function consumeLoginLink(sql: Sql, token: string): Promise<string | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const rows = await sql`
    update web_login_links l set used_at = now()
    from users u
    where l.id = ${linkIdOf(token)} and l.used_at is null and l.expires_at > now()
      and u.id = l.user_id and u.disabled_at is null
    returning l.user_id`;
  return rows[0] ? String(rows[0].userId) : undefined;
}
