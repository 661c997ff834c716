import { z } from 'zod';
import { json, type Sql, type TransactionSql } from '../../db/index.ts';
import { redactString } from '../../lib/index.ts';

type Db = Sql | TransactionSql;

/**
 * graphile-worker task the app's worker runs (agent/credential-event-task.ts): tells the conversations of the
 * workflows that use a credential what happened to it. Queued with the event (payload `{ eventId }`).
 */
export const CREDENTIAL_EVENT_TASK = 'vmesh_credential_event';

export const CredentialEventType = z.enum(['credential.needs_reconnect', 'credential.connected']);
export type CredentialEventType = z.infer<typeof CredentialEventType>;

export const CredentialEventPayload = z.object({ eventId: z.string().regex(/^\d{1,18}$/) });

export const CredentialEvent = z.object({
  id: z.coerce.string(),
  credentialName: z.string(),
  type: CredentialEventType,
  details: z.object({
    /** Why the provider refused it (redacted). */
    reason: z.string().optional(),
    /** Where the link that connected it was asked for. */
    conversationId: z.string().nullable().optional(),
    proposalId: z.string().nullable().optional(),
    /** The user who connected it. */
    by: z.string().optional(),
  }),
  createdAt: z.date(),
});
export type CredentialEvent = z.infer<typeof CredentialEvent>;

async function recordEvent(
  db: Db,
  name: string,
  type: CredentialEventType,
  details: CredentialEvent['details'],
): Promise<string> {
  const [row] = await db`
    insert into credential_events (credential_name, type, details)
    values (${name}, ${type}, ${json(db, details)}) returning id`;
  const eventId = String(row?.id);
  // Before any server or worker ran here (e.g. `vmesh credentials test` on a new data dir) there is no job queue,
  // and no conversation a worker could tell: the event is only recorded.
  const [queue] = await db`
    select exists (
      select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'graphile_worker' and p.proname = 'add_job') as ready`;
  if (queue?.ready !== true) return eventId;
  await db`
    select graphile_worker.add_job(${CREDENTIAL_EVENT_TASK}, ${json(db, { eventId })}::json,
      job_key => ${`credential_event:${eventId}`}, max_attempts => 5)`;
  return eventId;
}

/**
 * Marks credential NAME needs_reconnect. Only the change from another state is an event (`credential.needs_reconnect`
 * with its job): a credential refused again while it waits for a reconnect tells nobody twice.
 */
export async function markNeedsReconnect(sql: Sql, name: string, reason: string): Promise<boolean> {
  const why = redactString(reason).slice(0, 1000);
  return sql.begin(async (tx) => {
    const [before] = await tx`select state from credentials where name = ${name} for update`;
    if (!before) return false;
    await tx`update credentials set state = 'needs_reconnect', state_reason = ${why} where name = ${name}`;
    if (before.state === 'needs_reconnect') return false;
    await recordEvent(tx, name, 'credential.needs_reconnect', { reason: why });
    return true;
  });
}

/** Records that NAME was connected through a link (`credential.connected`), for the conversation it was asked in. */
export async function recordCredentialConnected(
  sql: Sql,
  name: string,
  context: { conversationId: string | null; proposalId: string | null; by: string },
): Promise<string> {
  return recordEvent(sql, name, 'credential.connected', context);
}

export async function getCredentialEvent(sql: Sql, eventId: string): Promise<CredentialEvent | undefined> {
  const [row] = await sql`
    select id, credential_name, type, details, created_at from credential_events where id = ${eventId}`;
  return row ? CredentialEvent.parse(row) : undefined;
}

/** A run that failed only because NAME must be connected again; resumed when it is (once: the run id is the key). */
export async function recordCredentialWait(
  sql: Sql,
  wait: { runId: string; credentialName: string; conversationId: string | null },
): Promise<void> {
  await sql`
    insert into credential_waits (run_id, credential_name, conversation_id)
    values (${wait.runId}, ${wait.credentialName}, ${wait.conversationId})
    on conflict (run_id) do nothing`;
}

/** Claims the runs waiting for NAME (each is returned to one caller only). */
export async function takeCredentialWaits(
  sql: Sql,
  name: string,
): Promise<{ runId: string; conversationId: string | null }[]> {
  const rows = await sql`
    update credential_waits set resumed_at = now()
    where credential_name = ${name} and resumed_at is null
    returning run_id, conversation_id`;
  return rows.map((row) => ({
    runId: String(row.runId),
    conversationId: row.conversationId === null ? null : String(row.conversationId),
  }));
}
