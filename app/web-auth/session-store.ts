import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Principal, Role, toPrincipal, type User } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';

export const SESSION_COOKIE = 'vmesh_session';
/** last_seen_at is written at most this often per session (the idle timeout is hours, not seconds). */
const TOUCH_EVERY_MS = 60_000;

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/** The row id of the session whose cookie holds `cookieValue` (only this hash is stored). */
export const sessionIdOf = (cookieValue: string): string => sha256Hex(`vmesh-session:${cookieValue}`);

/**
 * The session's CSRF token: derived from the cookie value, so it is not stored (a copy of the table yields
 * neither the cookie nor the token) and a page on another origin, which cannot read the cookie, cannot know it.
 */
export const csrfTokenOf = (cookieValue: string): string =>
  createHash('sha256').update(`vmesh-csrf:${cookieValue}`).digest('base64url');

export function csrfMatches(cookieValue: string, sent: string | undefined): boolean {
  if (!sent) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(csrfTokenOf(cookieValue)), digest(sent));
}

/** The short, non-secret label of a session: `web:<first 12 hex of its id>`. */
export const sessionIdentity = (sessionId: string): string => `web:${sessionId.slice(0, 12)}`;

export type NewSession = {
  /** What goes into the cookie; never stored. */
  cookieValue: string;
  sessionId: string;
  expiresAt: Date;
};

export type SessionTimes = { idleTimeoutMs: number; maxAgeMs: number };

export async function createSession(
  sql: Sql,
  input: {
    userId: string;
    method: 'oidc' | 'link';
    times: SessionTimes;
    userAgent?: string | undefined;
    ip?: string | undefined;
  },
): Promise<NewSession> {
  // Ended sessions stay a month for display, then go.
  await sql`
    delete from web_sessions
    where coalesce(revoked_at, expires_at) < now() - interval '30 days'`;
  const cookieValue = randomBytes(32).toString('base64url');
  const sessionId = sessionIdOf(cookieValue);
  const expiresAt = new Date(Date.now() + input.times.maxAgeMs);
  await sql`
    insert into web_sessions (id, user_id, method, expires_at, idle_timeout_ms, user_agent, ip)
    values (${sessionId}, ${input.userId}, ${input.method}, ${expiresAt}, ${input.times.idleTimeoutMs},
            ${input.userAgent?.slice(0, 512) ?? null}, ${input.ip?.slice(0, 64) ?? null})`;
  return { cookieValue, sessionId, expiresAt };
}

export type ActiveSession = { sessionId: string; principal: Principal; expiresAt: Date };

/**
 * The signed-in person behind a cookie value, or undefined when the session is unknown, revoked, past its
 * absolute end, idle for longer than its idle timeout, or its user is disabled. Refreshes last_seen_at.
 */
export async function findActiveSession(sql: Sql, cookieValue: string): Promise<ActiveSession | undefined> {
  const sessionId = sessionIdOf(cookieValue);
  const rows = await sql`
    select s.expires_at as session_expires_at,
           (s.last_seen_at < now() - ${TOUCH_EVERY_MS} * interval '1 millisecond') as stale,
           u.id, u.workspace_id, u.name, u.role, u.email, u.created_at, u.disabled_at
    from web_sessions s join users u on u.id = s.user_id
    where s.id = ${sessionId}
      and s.revoked_at is null
      and s.expires_at > now()
      and s.last_seen_at + s.idle_timeout_ms * interval '1 millisecond' > now()
      and u.disabled_at is null`;
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) await sql`update web_sessions set last_seen_at = now() where id = ${sessionId}`;
  const user: User = {
    id: String(row.id),
    workspaceId: String(row.workspaceId),
    name: String(row.name),
    role: Role.parse(row.role),
    email: row.email === null ? null : String(row.email),
    createdAt: row.createdAt as Date,
    disabledAt: null,
  };
  return {
    sessionId,
    principal: { ...toPrincipal(user, 'web', sessionIdentity(sessionId)), browserSession: true },
    expiresAt: row.sessionExpiresAt as Date,
  };
}

/** Ends a session at once; returns false when it was already ended or unknown. */
export async function revokeSession(sql: Sql, sessionId: string): Promise<boolean> {
  const rows =
    await sql`update web_sessions set revoked_at = now() where id = ${sessionId} and revoked_at is null returning 1`;
  return rows.length > 0;
}
