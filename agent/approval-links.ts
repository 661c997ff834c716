import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../db/index.ts';

/** How long a one-time approval link works. */
export const APPROVAL_LINK_TTL_MS = 15 * 60_000;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** A single-use link token for `userId` to decide `proposalId` in a browser; only its hash is stored. */
export async function mintApprovalLink(
  sql: Sql,
  proposalId: string,
  userId: string,
  ttlMs = APPROVAL_LINK_TTL_MS,
): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await sql`delete from approval_links where expires_at < now() - interval '1 day'`;
  await sql`
    insert into approval_links (token_hash, proposal_id, user_id, expires_at)
    values (${hashOf(token)}, ${proposalId}, ${userId}, now() + ${`${Math.round(ttlMs)} milliseconds`}::interval)`;
  return token;
}

export type ApprovalLink = { proposalId: string; userId: string };

/** The link's proposal and user while it is unused and unexpired. */
export async function peekApprovalLink(sql: Sql, token: string): Promise<ApprovalLink | undefined> {
  const [row] = await sql`
    select proposal_id, user_id from approval_links
    where token_hash = ${hashOf(token)} and used_at is null and expires_at > now()`;
  return row ? { proposalId: String(row.proposalId), userId: String(row.userId) } : undefined;
}

/** Uses the link up (atomically: of two submits at once, one wins). */
export async function consumeApprovalLink(sql: Sql, token: string): Promise<ApprovalLink | undefined> {
  const [row] = await sql`
    update approval_links set used_at = now()
    where token_hash = ${hashOf(token)} and used_at is null and expires_at > now()
    returning proposal_id, user_id`;
  return row ? { proposalId: String(row.proposalId), userId: String(row.userId) } : undefined;
}

/** The hash a CSRF form token is bound to (the page's form token signs this, never the raw token). */
export const approvalLinkHash = hashOf;
