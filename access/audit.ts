import { createHash } from 'node:crypto';
import { z } from 'zod';
import { json, type Sql, type TransactionSql } from '../db/index.ts';
import { REDACTED, redactSecrets, redactString, ValidationError } from '../lib/index.ts';
import type { FrontEnd, Principal } from './principal.ts';
import { DEFAULT_WORKSPACE } from './user-store.ts';

type Db = Sql | TransactionSql;

/**
 * One change or decision. `actor` is how the record names who did it when there is no `principal`; with one, the
 * principal's name, user id, front-end identity and `via` are recorded and `actor` is ignored (a label from a
 * request body never stands in for the authenticated person).
 * Engine-level changes with nobody behind them use actor 'system'. `details` go through the secret redactor.
 */
export type AuditInput = {
  actor?: string | undefined;
  action: string;
  subjectType: string;
  subjectId: string;
  details?: Record<string, unknown> | undefined;
  principal?: Principal | undefined;
  via?: FrontEnd | undefined;
  /** Content hashes of the document before and after (workflow changes and approvals). */
  beforeHash?: string | null | undefined;
  afterHash?: string | null | undefined;
};

/** Who did something, as a caller of a service hands it on: a principal, or just a label (default 'system'). */
export type AuditBy = Pick<AuditInput, 'principal' | 'actor' | 'via'>;

export type AuditEntry = {
  id: string;
  at: string;
  workspaceId: string;
  actor: string;
  actorId: string | null;
  identity: string | null;
  via: FrontEnd;
  action: string;
  subjectType: string;
  subjectId: string;
  beforeHash: string | null;
  afterHash: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
};

const FRONT_ENDS = ['api', 'web', 'slack', 'discord', 'mcp', 'cli', 'system'] as const;
const ActionName = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'like `workflow.updated`');

/** Keys whose values are secrets whatever they look like. */
const SECRET_KEY =
  /^(secret|secrets|password|passwd|token|access_?token|refresh_?token|api_?key|authorization|cookie|private_?key|client_?secret|plaintext|signing_?secret)$/i;
const MAX_STRING = 2_000;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `at` as text with microseconds in UTC: what the hash covers, the same in every session time zone. */
const AT_TEXT = `to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Appends one entry to the chain; returns its id and hash. Appends from any process form one chain. */
export async function audit(sql: Db, input: AuditInput): Promise<{ id: string; hash: string }> {
  const action = ActionName.parse(input.action);
  const principal = input.principal;
  const row = {
    workspaceId: principal?.workspaceId ?? DEFAULT_WORKSPACE,
    actor: cleanText(principal?.name ?? input.actor ?? 'system', 200),
    actorId: principal?.userId ?? null,
    identity: principal ? cleanText(principal.identity, 600) : null,
    via: input.via ?? principal?.via ?? 'system',
    action,
    subjectType: cleanText(input.subjectType, 64),
    subjectId: cleanText(input.subjectId, 400),
    beforeHash: input.beforeHash ? cleanText(input.beforeHash, 200) : null,
    afterHash: input.afterHash ? cleanText(input.afterHash, 200) : null,
    details: cleanDetails(input.details ?? {}),
  };
  return inTransaction(sql, async (tx) => {
    const [head] = await tx`select head_hash from audit_chain where id for update`;
    let prevHash = String(head?.headHash ?? 'genesis');
    prevHash = await sealUnchained(tx, prevHash);
    // The database normalises the details (jsonb) and the time; the hash covers what a verifier reads back.
    const [fixed] = await tx`
      select nextval('audit_log_id_seq')::text as id, ${json(tx, row.details)}::jsonb as details,
        to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`;
    const entry = { ...row, id: String(fixed?.id), at: String(fixed?.at), details: fixed?.details };
    const hash = entryHash(prevHash, entry);
    await tx`
      insert into audit_log (id, at, workspace_id, actor, actor_id, identity, via, action, subject_type, subject_id,
        before_hash, after_hash, details, prev_hash, hash)
      values (${entry.id}, (${entry.at}::text)::timestamptz, ${entry.workspaceId}, ${entry.actor}, ${entry.actorId},
        ${entry.identity}, ${entry.via}, ${entry.action}, ${entry.subjectType}, ${entry.subjectId},
        ${entry.beforeHash}, ${entry.afterHash}, ${json(tx, entry.details)}, ${prevHash}, ${hash})`;
    await tx`update audit_chain set head_id = ${entry.id}, head_hash = ${hash} where id`;
    return { id: entry.id, hash };
  });
}

/** The fields an entry's hash covers, in a fixed form. */
type HashedFields = {
  id: string;
  at: string;
  workspaceId: string;
  actor: string;
  actorId: string | null;
  identity: string | null;
  via: string;
  action: string;
  subjectType: string;
  subjectId: string;
  beforeHash: string | null;
  afterHash: string | null;
  details: unknown;
};

/** sha256(prev_hash || canonical JSON of the entry), hex. */
export function entryHash(prevHash: string, entry: HashedFields): string {
  const fields: HashedFields = {
    id: entry.id,
    at: entry.at,
    workspaceId: entry.workspaceId,
    actor: entry.actor,
    actorId: entry.actorId,
    identity: entry.identity,
    via: entry.via,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    beforeHash: entry.beforeHash,
    afterHash: entry.afterHash,
    details: entry.details,
  };
  return createHash('sha256').update(prevHash).update(canonicalJson(fields)).digest('hex');
}

/** JSON with object keys sorted at every depth. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    // No prototype: a `__proto__` key from parsed JSON stays a key (and covered by the hash).
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Storable as text exactly as hashed (no NUL, no lone surrogates), redacted, at most `max` characters. */
function cleanText(value: string, max: number): string {
  const safe = redactString(value).replace(LONE_SURROGATE, '\ufffd').replaceAll('\u0000', '');
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

/** Redacted, JSON-only, storable in jsonb (no NUL, no lone surrogates), long strings cut. */
function cleanDetails(details: Record<string, unknown>): Record<string, unknown> {
  const redacted = redactSecrets(details);
  const text = JSON.stringify(redacted, (key, value: unknown) => {
    if (key !== '' && SECRET_KEY.test(key) && value !== null && typeof value !== 'boolean') return REDACTED;
    if (typeof value === 'string') {
      const safe = value.replace(LONE_SURROGATE, '\ufffd').replaceAll('\u0000', '');
      return safe.length > MAX_STRING ? `${safe.slice(0, MAX_STRING)}…` : safe;
    }
    return value;
  });
  const parsed: unknown = JSON.parse(text ?? '{}');
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

/** Chains entries written before the chain existed (hash NULL), in id order; returns the new head hash. */
async function sealUnchained(tx: TransactionSql, headHash: string): Promise<string> {
  const rows = await tx`
    select id::text as id, ${tx.unsafe(AT_TEXT)} as at, workspace_id, actor, actor_id, identity, via, action,
      subject_type, subject_id, before_hash, after_hash, details
    from audit_log where hash is null order by audit_log.id`;
  let prev = headHash;
  let lastId: string | undefined;
  for (const row of rows) {
    const entry = toHashed(row);
    const hash = entryHash(prev, entry);
    await tx`update audit_log set prev_hash = ${prev}, hash = ${hash} where id = ${entry.id}`;
    prev = hash;
    lastId = entry.id;
  }
  if (lastId) await tx`update audit_chain set head_id = ${lastId}, head_hash = ${prev} where id`;
  return prev;
}

function toHashed(row: Record<string, unknown>): HashedFields {
  const text = (value: unknown): string | null =>
    value === null || value === undefined ? null : String(value);
  return {
    id: String(row.id),
    at: String(row.at),
    workspaceId: String(row.workspaceId),
    actor: String(row.actor),
    actorId: text(row.actorId),
    identity: text(row.identity),
    via: String(row.via),
    action: String(row.action),
    subjectType: String(row.subjectType),
    subjectId: String(row.subjectId),
    beforeHash: text(row.beforeHash),
    afterHash: text(row.afterHash),
    details: row.details,
  };
}

async function inTransaction<T>(sql: Db, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  if ('begin' in sql && typeof sql.begin === 'function') return (await (sql as Sql).begin(work)) as T;
  return work(sql as TransactionSql);
}

export type AuditVerification =
  | { ok: true; entries: number; anchorId: string; headId: string | null; unsealed: number }
  | { ok: false; entryId: string; reason: string; checked: number };

const VERIFY_BATCH = 2_000;

/**
 * Walks the chain from the anchor (the last pruned entry, or genesis) to the head: every entry's prev_hash must
 * be the hash before it, its hash must match its contents, and the last entry must be the recorded head.
 */
export async function verifyAuditChain(sql: Sql): Promise<AuditVerification> {
  return (await sql.begin('isolation level repeatable read read only', async (tx) => {
    const [chain] =
      await tx`select head_id::text as head_id, head_hash, anchor_id::text as anchor_id, anchor_hash
      from audit_chain where id`;
    const headId = chain?.headId === null || chain?.headId === undefined ? null : String(chain.headId);
    const anchorId = String(chain?.anchorId ?? '0');
    let expected = String(chain?.anchorHash ?? 'genesis');
    let checked = 0;
    let unsealed = 0;
    let lastId = anchorId;
    let after = '0';
    const broken = (entryId: string, reason: string): AuditVerification => ({
      ok: false,
      entryId,
      reason,
      checked,
    });
    for (;;) {
      const rows = await tx`
        select id::text as id, ${tx.unsafe(AT_TEXT)} as at, workspace_id, actor, actor_id, identity, via, action,
          subject_type, subject_id, before_hash, after_hash, details, prev_hash, hash
        from audit_log where id > ${after} order by audit_log.id limit ${VERIFY_BATCH}`;
      for (const row of rows) {
        const entry = toHashed(row);
        after = entry.id;
        if (headId !== null && BigInt(entry.id) > BigInt(headId))
          return broken(
            entry.id,
            `it comes after the recorded chain head (entry ${headId}): it was written outside the chain`,
          );
        if (BigInt(entry.id) <= BigInt(anchorId))
          return broken(entry.id, `it lies before the pruning anchor (entry ${anchorId}) but is still there`);
        if (row.hash === null) {
          // Written before the chain existed and not sealed yet: only possible while nothing was appended.
          if (headId === null) {
            unsealed += 1;
            continue;
          }
          return broken(entry.id, 'it has no hash (it was inserted outside the chain)');
        }
        if (row.prevHash !== expected)
          return broken(
            entry.id,
            'its prev_hash is not the hash of the entry before it (an entry before it was removed, changed or inserted)',
          );
        if (entryHash(expected, entry) !== row.hash)
          return broken(entry.id, 'its contents do not match its hash (it was changed after it was written)');
        expected = String(row.hash);
        lastId = entry.id;
        checked += 1;
      }
      if (rows.length < VERIFY_BATCH) break;
    }
    const recordedHead = headId ?? anchorId;
    if (lastId !== recordedHead || (headId !== null && expected !== chain?.headHash))
      return broken(
        recordedHead,
        `the chain head records entry ${recordedHead}, but the log ends at entry ${lastId} (entries at the end were removed or rewritten)`,
      );
    return { ok: true, entries: checked, anchorId, headId, unsealed };
  })) as AuditVerification;
}

/**
 * Retention: removes entries older than `retentionDays` (0 keeps everything) and keeps the last removed entry's
 * hash as the chain's anchor; the pruning itself is an audit entry. Returns how many entries were removed.
 */
export async function pruneAudit(sql: Sql, retentionDays: number, now: Date = new Date()): Promise<number> {
  if (!(retentionDays > 0)) return 0;
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const [row] = await sql`select audit_prune(${cutoff}) as removed`;
  const removed = Number(row?.removed ?? 0);
  if (removed > 0)
    await audit(sql, {
      action: 'audit.pruned',
      subjectType: 'audit',
      subjectId: 'log',
      details: { removed, retentionDays, before: cutoff.toISOString() },
    });
  return removed;
}

export const AUDIT_RETENTION_DEFAULT_DAYS = 365;

/** VMESH_AUDIT_RETENTION_DAYS: days to keep audit entries (default 365; 0 = keep forever). */
export function auditRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.VMESH_AUDIT_RETENTION_DAYS?.trim();
  if (raw === undefined || raw === '') return AUDIT_RETENTION_DEFAULT_DAYS;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 0)
    throw new Error(
      `VMESH_AUDIT_RETENTION_DAYS must be a whole number of days (0 keeps the audit log forever), not "${raw}".`,
    );
  return days;
}

export type AuditFilter = {
  since?: Date | undefined;
  /** A user name or id, or the actor label as recorded. */
  actor?: string | undefined;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  action?: string | undefined;
  /** Entries older than this id (the previous page's `nextCursor`). */
  before?: string | undefined;
  limit?: number | undefined;
};

/** Newest first; `nextCursor` pages on to older entries. */
export async function listAudit(
  sql: Db,
  filter: AuditFilter = {},
): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  const conditions = [sql`true`];
  if (filter.since) conditions.push(sql`at >= ${filter.since}`);
  if (filter.actor)
    conditions.push(sql`(actor = ${filter.actor} or actor_id = ${filter.actor}
      or actor_id in (select id from users where name = ${filter.actor}))`);
  if (filter.subjectType) conditions.push(sql`subject_type = ${filter.subjectType}`);
  if (filter.subjectId) conditions.push(sql`subject_id = ${filter.subjectId}`);
  if (filter.action) conditions.push(sql`action = ${filter.action}`);
  if (filter.before && /^\d{1,19}$/.test(filter.before)) conditions.push(sql`id < ${filter.before}`);
  const where = conditions.reduce((all, next) => sql`${all} and ${next}`);
  const rows = await sql`
    select id::text as id, ${sql.unsafe(AT_TEXT)} as at, workspace_id, actor, actor_id, identity, via, action,
      subject_type, subject_id, before_hash, after_hash, details, prev_hash, hash
    from audit_log where ${where} order by audit_log.id desc limit ${limit + 1}`;
  const page = rows.slice(0, limit).map((row) => {
    const entry = toHashed(row);
    return {
      ...entry,
      via: (FRONT_ENDS as readonly string[]).includes(entry.via) ? (entry.via as FrontEnd) : 'system',
      details: (entry.details ?? {}) as Record<string, unknown>,
      prevHash: String(row.prevHash ?? ''),
      hash: String(row.hash ?? ''),
    } satisfies AuditEntry;
  });
  return { entries: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

const DURATION = /^(\d{1,6})([mhdw])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `7d`, `12h`, `30m`, `2w`, or an ISO date: the start of a window of audit entries. */
export function parseSince(value: string, now: Date = new Date()): Date {
  const duration = DURATION.exec(value.trim());
  if (duration)
    return new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new ValidationError({
      code: 'E_AUDIT_QUERY',
      message: `"since" is "${value}", neither a duration nor a date.`,
      hint: 'Give a duration such as 7d, 12h, 30m or 2w, or a date such as 2026-01-31.',
    });
  return date;
}

/** `TYPE:ID` (e.g. workflow:wf_123) or just TYPE. */
export function parseSubject(value: string): { subjectType: string; subjectId?: string } {
  const at = value.indexOf(':');
  if (at < 0) return { subjectType: value };
  return { subjectType: value.slice(0, at), subjectId: value.slice(at + 1) };
}
