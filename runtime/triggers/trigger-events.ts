import { z } from 'zod';
import { json, type Sql, type TransactionSql } from '../../db/index.ts';
import { redactSecrets } from '../../lib/index.ts';
import { enqueueJob, type TxWork } from '../engine/tx-work.ts';

/**
 * graphile-worker task the app's worker runs (agent/trigger-event-task.ts): tells the conversation the workflow came
 * from what its trigger reported. Queued in the transaction that records the event (payload `{ eventId }`).
 */
export const TRIGGER_EVENT_TASK = 'vmesh_trigger_event';

export const TriggerEventType = z.enum(['trigger.stalled', 'trigger.recovered']);
export type TriggerEventType = z.infer<typeof TriggerEventType>;

export const TriggerEventPayload = z.object({ eventId: z.string().regex(/^\d{1,18}$/) });

/** What `trigger.stalled` and `trigger.recovered` carry (times are ISO strings; `error` is redacted). */
export const TriggerEventDetails = z.object({
  triggerType: z.string(),
  /** The last successful poll, or the activation when none succeeded. */
  since: z.string(),
  failures: z.number().int(),
  intervalMs: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type TriggerEventDetails = z.infer<typeof TriggerEventDetails>;

export const TriggerEvent = z.object({
  id: z.coerce.string(),
  workflowId: z.string(),
  type: TriggerEventType,
  details: TriggerEventDetails,
  createdAt: z.date(),
});
export type TriggerEvent = z.infer<typeof TriggerEvent>;

/** Records the event and queues its telling in the caller's transaction (both commit with the poll's state). */
export async function recordTriggerEvent(
  tx: TransactionSql,
  work: TxWork,
  workflowId: string,
  type: TriggerEventType,
  details: TriggerEventDetails,
): Promise<string> {
  const [row] = await tx`
    insert into trigger_events (workflow_id, type, details)
    values (${workflowId}, ${type}, ${json(tx, redactSecrets(details))}) returning id`;
  const eventId = String(row?.id);
  enqueueJob(work, TRIGGER_EVENT_TASK, { eventId }, `trigger_event:${eventId}`);
  return eventId;
}

export async function getTriggerEvent(sql: Sql, eventId: string): Promise<TriggerEvent | undefined> {
  const [row] = await sql`
    select id, workflow_id, type, details, created_at from trigger_events where id = ${eventId}`;
  return row ? TriggerEvent.parse(row) : undefined;
}
