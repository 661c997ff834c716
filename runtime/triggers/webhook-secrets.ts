import { type AuditBy, audit } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { NotFoundError, ValidationError } from '../../lib/index.ts';
import { newSecret } from '../store/ids.ts';
import { getCachedWorkflow, invalidateWorkflow } from '../store/workflow-cache.ts';
import type { HookVerdict } from './webhook-verify.ts';

/** Default time the previous secret keeps working after a rotation. */
export const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;
/** Longest grace period a rotation may ask for. */
export const MAX_GRACE_SECONDS = 7 * 24 * 60 * 60;
const CACHE_TTL_MS = 2_000;

type Grace = { secret: string; expiresAt: number };
const cache = new Map<string, { secrets: Grace[]; expires: number }>();

/**
 * Replaces a workflow's hook secret with a new random one. The old secret stays valid for `graceSeconds`
 * (0 = revoked at once). Returns the new secret; GET /api/workflows/:id shows it too.
 */
export async function rotateHookSecret(
  sql: Sql,
  workflowId: string,
  options: { graceSeconds?: number; by?: AuditBy | undefined } = {},
): Promise<{ secret: string; previousValidUntil: Date | null }> {
  const grace = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  return replaceHookSecret(
    sql,
    workflowId,
    newSecret(),
    { ...options, graceSeconds: grace },
    'hook_secret.rotated',
  );
}

/** What a set hook secret may be: what vendors generate (whsec_…, hex, base64), printable and without spaces. */
export const SETTABLE_SECRET = /^[\x21-\x7e]{16,512}$/;

/**
 * Sets a workflow's hook secret to one the sender generated (Stripe's whsec_…, Slack's signing secret). The old
 * secret stays valid for `graceSeconds` (default 0: revoked at once). The audit entry never holds either secret.
 */
export async function setHookSecret(
  sql: Sql,
  workflowId: string,
  secret: string,
  options: { graceSeconds?: number; by?: AuditBy | undefined } = {},
): Promise<{ previousValidUntil: Date | null }> {
  if (!SETTABLE_SECRET.test(secret)) {
    throw new ValidationError({
      code: 'E_REQUEST',
      message: 'A hook secret is 16 to 512 printable characters without spaces.',
      hint: "Paste the signing secret exactly as the sender shows it (e.g. Stripe's whsec_…).",
    });
  }
  const { previousValidUntil } = await replaceHookSecret(
    sql,
    workflowId,
    secret,
    { ...options, graceSeconds: options.graceSeconds ?? 0 },
    'hook_secret.set',
  );
  return { previousValidUntil };
}

async function replaceHookSecret(
  sql: Sql,
  workflowId: string,
  secret: string,
  options: { graceSeconds: number; by?: AuditBy | undefined },
  action: 'hook_secret.rotated' | 'hook_secret.set',
): Promise<{ secret: string; previousValidUntil: Date | null }> {
  const grace = Math.min(Math.max(0, options.graceSeconds), MAX_GRACE_SECONDS);
  const previousValidUntil = await sql.begin(async (tx) => {
    const [row] = await tx`
      select hook_secret from workflows where id = ${workflowId} and deleted_at is null for update`;
    if (!row) {
      throw new NotFoundError({
        code: 'E_NOT_FOUND',
        message: `No workflow "${workflowId}".`,
        hint: 'List workflows with GET /api/workflows.',
      });
    }
    await tx`update workflows set hook_secret = ${secret}, updated_at = now() where id = ${workflowId}`;
    await tx`delete from webhook_secret_grace where workflow_id = ${workflowId} and expires_at <= now()`;
    // The new secret must not linger as some earlier rotation's grace secret (it is current now).
    await tx`delete from webhook_secret_grace where workflow_id = ${workflowId} and secret = ${secret}`;
    await audit(tx, {
      ...options.by,
      action,
      subjectType: 'workflow',
      subjectId: workflowId,
      details: { graceSeconds: grace },
    });
    if (grace === 0 || String(row.hookSecret) === secret) return null;
    const [kept] = await tx`
      insert into webhook_secret_grace (workflow_id, secret, expires_at)
      values (${workflowId}, ${String(row.hookSecret)}, now() + make_interval(secs => ${grace}))
      on conflict (workflow_id, secret) do update set expires_at = excluded.expires_at
      returning expires_at`;
    return kept?.expiresAt instanceof Date ? kept.expiresAt : null;
  });
  invalidateWorkflow(workflowId);
  cache.delete(workflowId);
  return { secret, previousValidUntil };
}

/** Previous secrets still inside their grace period (cached for 2 s; only read when the current secret failed). */
export async function graceSecrets(sql: Sql, workflowId: string): Promise<string[]> {
  const now = Date.now();
  let entry = cache.get(workflowId);
  if (!entry || entry.expires <= now) {
    const rows = await sql`
      select secret, expires_at from webhook_secret_grace where workflow_id = ${workflowId} and expires_at > now()`;
    entry = {
      secrets: rows.map((row) => ({
        secret: String(row.secret),
        expiresAt: new Date(row.expiresAt).getTime(),
      })),
      expires: now + CACHE_TTL_MS,
    };
    if (cache.size >= 1_000) cache.delete(cache.keys().next().value as string);
    cache.set(workflowId, entry);
  }
  return entry.secrets.filter((grace) => grace.expiresAt > now).map((grace) => grace.secret);
}

/**
 * The slow path after the cached current secret failed: re-reads the workflow (another process may have just
 * rotated it) and checks the delivery (`check`, the workflow's trigger's verification) against the current secret
 * plus the previous ones still in their grace period.
 */
export async function recheckWithRotation(
  sql: Sql,
  workflowId: string,
  first: HookVerdict,
  check: (secrets: readonly string[]) => HookVerdict,
): Promise<HookVerdict> {
  if (first.ok || first.code === 'E_STALE_SIGNATURE') return first;
  const fresh = await getCachedWorkflow(sql, workflowId, { fresh: true });
  const secrets = [...(fresh ? [fresh.row.hookSecret] : []), ...(await graceSecrets(sql, workflowId))];
  return secrets.length > 0 ? check(secrets) : first;
}
