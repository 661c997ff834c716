import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type {
  ConnectorDefinition,
  WebhookSubscription,
  WebhookTriggerDefinition,
} from '../../connectors/index.ts';
import { json, type Sql, type TransactionSql } from '../../db/index.ts';
import { AppError, redactSecrets, registerSecret } from '../../lib/index.ts';
import type { NodeRunnerDeps } from '../engine/node-runner.ts';
import { loadDocument } from '../store/workflow-store.ts';
import { findConnectorTrigger } from './connector-triggers.ts';
import { closeHandshake, handshakeStillOpen, openHandshake } from './handshake.ts';
import { setHookSecret } from './webhook-secrets.ts';

export const SUBSCRIPTION_TASK = 'vmesh_subscription';
/** Longest one vendor call (create or delete) may take before it is aborted and retried. */
export const SUBSCRIPTION_TIMEOUT_MS = 60_000;
const MAX_ATTEMPTS = 20;

export function subscriptionJobKey(workflowId: string): string {
  return `subscription:${workflowId}`;
}

const SubscriptionJobPayload = z.object({ workflowId: z.string().min(1) });

export const SubscriptionStatus = z.enum(['pending', 'active', 'failed', 'deleting']);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

const SubscriptionError = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });
type SubscriptionError = z.infer<typeof SubscriptionError>;

const SubscriptionRow = z.object({
  workflowId: z.string(),
  triggerType: z.string(),
  status: SubscriptionStatus,
  subscriptionId: z.string().nullable(),
  filters: z.unknown(),
  credential: z.string().nullable(),
  hookUrl: z.string().nullable(),
  lastError: SubscriptionError.nullable(),
  attempts: z.number().int(),
  updatedAt: z.date(),
});
type SubscriptionRow = z.infer<typeof SubscriptionRow>;

/** What GET /api/workflows/:id shows of a workflow's subscription: never a secret. */
export type SubscriptionView = {
  status: SubscriptionStatus;
  id?: string;
  error?: SubscriptionError;
  attempts: number;
  updatedAt: string;
};

type Subscribing = {
  connector: ConnectorDefinition;
  trigger: WebhookTriggerDefinition;
  subscription: WebhookSubscription;
};

function findSubscribing(connectors: readonly ConnectorDefinition[], type: string): Subscribing | undefined {
  const trigger = findConnectorTrigger(connectors, type);
  const connector = connectors.find((candidate) => type.startsWith(`${candidate.id}.`));
  if (trigger?.kind !== 'webhook' || !trigger.subscription || !connector) return undefined;
  return { connector, trigger, subscription: trigger.subscription };
}

type Desired = Subscribing & { triggerType: string; filters: unknown; credential: string };

const WorkflowState = z
  .object({ active: z.boolean(), currentVersion: z.number().int(), deletedAt: z.date().nullable() })
  .optional();

/**
 * The subscription the workflow should have now: one when it is active, not deleted, and its trigger registers
 * itself and has a credential to do it with (without one the user set the hook up at the vendor by hand).
 */
async function desiredSubscription(
  sql: Sql | TransactionSql,
  connectors: readonly ConnectorDefinition[],
  workflowId: string,
): Promise<Desired | undefined> {
  const [row] = await sql`select active, current_version, deleted_at from workflows where id = ${workflowId}`;
  const workflow = WorkflowState.parse(row);
  if (!workflow?.active || workflow.deletedAt) return undefined;
  const { trigger } = await loadDocument(sql, workflowId, workflow.currentVersion);
  const subscribing = findSubscribing(connectors, trigger.type);
  if (!subscribing || !trigger.credential) return undefined;
  const filters = subscribing.trigger.with.safeParse(trigger.with ?? {});
  if (!filters.success) return undefined;
  return { ...subscribing, triggerType: trigger.type, filters: filters.data, credential: trigger.credential };
}

async function loadRow(sql: Sql | TransactionSql, workflowId: string): Promise<SubscriptionRow | undefined> {
  const [row] = await sql`select * from trigger_subscriptions where workflow_id = ${workflowId}`;
  return row ? SubscriptionRow.parse(row) : undefined;
}

/**
 * Records what the workflow's subscription should become and queues the job that makes it so (job key
 * `subscription:<id>`, in a queue of its own so two reconciliations of one workflow never overlap). Called in the
 * workflow-change transaction; does nothing for workflows that never had a subscription and need none.
 */
export async function syncSubscription(
  sql: Sql | TransactionSql,
  connectors: readonly ConnectorDefinition[],
  workflowId: string,
): Promise<void> {
  const desired = await desiredSubscription(sql, connectors, workflowId);
  if (desired) {
    // While a subscription exists, its row keeps the trigger it was created with: the job deletes it with that.
    await sql`
      insert into trigger_subscriptions (workflow_id, trigger_type, status)
      values (${workflowId}, ${desired.triggerType}, 'pending')
      on conflict (workflow_id) do update set
        trigger_type = case when trigger_subscriptions.subscription_id is null
          then excluded.trigger_type else trigger_subscriptions.trigger_type end,
        status = 'pending', last_error = null, attempts = 0, updated_at = now()`;
  } else {
    const updated = await sql`
      update trigger_subscriptions set status = 'deleting', last_error = null, attempts = 0, updated_at = now()
      where workflow_id = ${workflowId} returning workflow_id`;
    if (updated.length === 0) return;
  }
  const key = subscriptionJobKey(workflowId);
  await sql`
    select id from graphile_worker.add_job(${SUBSCRIPTION_TASK}, ${sql.json({ workflowId })}::json,
      queue_name => ${key}, job_key => ${key}, max_attempts => ${MAX_ATTEMPTS})`;
}

/** The hook URL vendors are given: the workflow's `/hooks/:id` under VMESH_PUBLIC_URL. */
export function subscriptionHookUrl(publicUrl: string, workflowId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/hooks/${workflowId}`;
}

function targetOf(subscribing: Subscribing, filters: unknown): string {
  const target = subscribing.subscription.target ? subscribing.subscription.target(filters) : filters;
  return JSON.stringify(target ?? null);
}

/** Whether the subscription that exists is the one wanted (same trigger, credential, URL and target). */
function isWanted(row: SubscriptionRow, desired: Desired, url: string | undefined): boolean {
  if (row.triggerType !== desired.triggerType || row.credential !== desired.credential) return false;
  if (url !== undefined && row.hookUrl !== url) return false;
  const stored = desired.trigger.with.safeParse(row.filters ?? {});
  return stored.success && targetOf(desired, stored.data) === targetOf(desired, desired.filters);
}

async function subscriptionContext(
  deps: NodeRunnerDeps,
  connector: ConnectorDefinition,
  triggerType: string,
  credentialName: string,
) {
  const stored = await deps.credentials?.get(credentialName);
  if (!stored) {
    throw new AppError({
      code: 'E_CREDENTIAL',
      message: `The credential "${credentialName}" of the ${triggerType} trigger does not exist, so its webhook cannot be registered or removed.`,
      hint: `Store it with \`vmesh credentials set ${credentialName} --type ${connector.credential?.type ?? connector.id}\`.`,
      retryable: true,
    });
  }
  const credential = stored.secret;
  const signal = AbortSignal.timeout(SUBSCRIPTION_TIMEOUT_MS);
  // An oauth2 credential's access token is renewed for the vendor's subscription calls as for a step.
  const env =
    stored.type === 'oauth2' && deps.oauth2Tokens
      ? { ...deps.connectorEnv, tokens: deps.oauth2Tokens.for(credentialName) }
      : deps.connectorEnv;
  const client = connector.createClient({ credential, env, signal });
  return { credential, client, logger: deps.logger, signal, env };
}

async function deleteAtVendor(deps: NodeRunnerDeps, row: SubscriptionRow, id: string): Promise<void> {
  const subscribing = findSubscribing(deps.connectors, row.triggerType);
  if (!subscribing || !row.credential) {
    deps.logger.warn(
      { workflowId: row.workflowId, triggerType: row.triggerType, subscriptionId: id },
      'the connector of this subscription no longer registers webhooks: it is forgotten, not deleted at the vendor',
    );
    return;
  }
  const ctx = await subscriptionContext(deps, subscribing.connector, row.triggerType, row.credential);
  const filters = subscribing.trigger.with.safeParse(row.filters ?? {});
  await subscribing.subscription.delete(ctx, filters.success ? filters.data : row.filters, { id });
}

async function createAtVendor(
  deps: NodeRunnerDeps,
  workflowId: string,
  desired: Desired,
  url: string,
): Promise<void> {
  const ctx = await subscriptionContext(deps, desired.connector, desired.triggerType, desired.credential);
  const secret = randomBytes(32).toString('hex');
  registerSecret(secret);
  // Set before the vendor knows it, so its first delivery (GitHub's ping) already verifies.
  await setHookSecret(deps.sql, workflowId, secret);
  const handshaking = desired.trigger.handshake !== undefined;
  if (handshaking) await openHandshake(deps.sql, workflowId, SUBSCRIPTION_TIMEOUT_MS);
  let created: Awaited<ReturnType<typeof desired.subscription.create>>;
  try {
    created = await desired.subscription.create(ctx, desired.filters, { url, secret });
  } catch (error) {
    // No handshake may land after a failed attempt: the next one opens its own window.
    if (handshaking) await closeHandshake(deps.sql, workflowId);
    throw error;
  }
  if (handshaking && !created.secret && (await handshakeStillOpen(deps.sql, workflowId))) {
    throw new AppError({
      code: 'E_SUBSCRIPTION',
      message: `${desired.triggerType}: the vendor created the webhook without sending its handshake to ${url}, so its deliveries could not be verified.`,
      hint: 'Check that VMESH_PUBLIC_URL reaches this server from the vendor; the registration is retried.',
      retryable: true,
    });
  }
  if (created.secret) {
    registerSecret(created.secret);
    await setHookSecret(deps.sql, workflowId, created.secret);
  }
  await deps.sql`
    insert into trigger_subscriptions
      (workflow_id, trigger_type, status, subscription_id, filters, credential, hook_url)
    values (${workflowId}, ${desired.triggerType}, 'active', ${created.id}, ${json(deps.sql, desired.filters ?? null)},
      ${desired.credential}, ${url})
    on conflict (workflow_id) do update set
      trigger_type = excluded.trigger_type, status = 'active', subscription_id = excluded.subscription_id,
      filters = excluded.filters, credential = excluded.credential, hook_url = excluded.hook_url,
      last_error = null, attempts = 0, handshake_open_until = null, updated_at = now()`;
}

function toSubscriptionError(error: unknown): { error: SubscriptionError; retryable: boolean } {
  if (error instanceof AppError) {
    return {
      error: redactSecrets({
        code: error.code,
        message: error.message,
        ...(error.hint ? { hint: error.hint } : {}),
      }),
      retryable: error.retryable,
    };
  }
  // Network failures and timeouts: worth another try.
  const message = error instanceof Error ? error.message : String(error);
  return { error: redactSecrets({ code: 'E_SUBSCRIPTION', message }), retryable: true };
}

async function recordFailure(sql: Sql, workflowId: string, triggerType: string, error: SubscriptionError) {
  await sql`
    insert into trigger_subscriptions (workflow_id, trigger_type, status, last_error, attempts)
    values (${workflowId}, ${triggerType}, 'failed', ${sql.json(error)}, 1)
    on conflict (workflow_id) do update set status = 'failed', last_error = excluded.last_error,
      attempts = trigger_subscriptions.attempts + 1, updated_at = now()`;
}

/**
 * Brings the vendor in line with the workflow: deletes a subscription it no longer wants (deactivated, deleted,
 * another trigger, credential, URL or target), then creates the one it wants. Safe to run again at any point:
 * `create` reuses a subscription an interrupted attempt made, `delete` of one already gone succeeds. A failure is
 * recorded (`failed`, the redacted error, attempts) and, when retrying can help, thrown for graphile-worker to retry
 * with backoff.
 */
export async function runSubscriptionJob(deps: NodeRunnerDeps, payload: unknown): Promise<void> {
  const { workflowId } = SubscriptionJobPayload.parse(payload);
  const { sql } = deps;
  const desired = await desiredSubscription(sql, deps.connectors, workflowId);
  const row = await loadRow(sql, workflowId);
  const url = deps.publicUrl ? subscriptionHookUrl(deps.publicUrl, workflowId) : undefined;
  const triggerType = desired?.triggerType ?? row?.triggerType;
  if (!triggerType) return;
  try {
    let existing = row?.subscriptionId ?? null;
    if (row && existing && !(desired && isWanted(row, desired, url))) {
      await deleteAtVendor(deps, row, existing);
      await sql`update trigger_subscriptions set subscription_id = null, updated_at = now()
        where workflow_id = ${workflowId} and subscription_id = ${existing}`;
      existing = null;
    }
    if (!desired) {
      await sql`delete from trigger_subscriptions where workflow_id = ${workflowId} and subscription_id is null`;
      return;
    }
    if (existing) {
      await sql`update trigger_subscriptions set status = 'active', last_error = null, attempts = 0,
        updated_at = now() where workflow_id = ${workflowId}`;
      return;
    }
    if (!url) {
      throw new AppError({
        code: 'E_PUBLIC_URL',
        message: `${desired.triggerType} registers its webhook at the vendor, which needs the URL this server is reached at, and VMESH_PUBLIC_URL is not set.`,
        hint: 'Set VMESH_PUBLIC_URL to the https URL the vendor can reach (e.g. https://vmesh.example.com) for the server and the workers, restart them, then deactivate and activate the workflow.',
      });
    }
    await createAtVendor(deps, workflowId, desired, url);
    deps.logger.info({ workflowId, triggerType }, 'webhook subscription active');
  } catch (error) {
    const failure = toSubscriptionError(error);
    await recordFailure(sql, workflowId, triggerType, failure.error);
    deps.logger.warn({ workflowId, triggerType, error: failure.error }, 'webhook subscription failed');
    if (failure.retryable) {
      throw new AppError({
        code: failure.error.code,
        message: failure.error.message,
        retryable: true,
        cause: error,
      });
    }
  }
}

/** The workflow's subscription as the API shows it, or null when it has none. */
export async function subscriptionView(sql: Sql, workflowId: string): Promise<SubscriptionView | null> {
  const row = await loadRow(sql, workflowId);
  if (!row) return null;
  return {
    status: row.status,
    ...(row.subscriptionId ? { id: row.subscriptionId } : {}),
    ...(row.lastError ? { error: row.lastError } : {}),
    attempts: row.attempts,
    updatedAt: row.updatedAt.toISOString(),
  };
}
