import type { Sql } from '../../db/index.ts';

/** A poll trigger that reported a stall and has not recovered. */
export type StalledPollTrigger = {
  workflowId: string;
  triggerType: string;
  stalledAt: Date;
  consecutiveFailures: number;
  lastErrorCode: string | null;
};

/**
 * The one definition of "a poll trigger stalled" (the poll runtime sets `stalled_at` after repeated failures and
 * clears it on the next success): the `vmesh_poll_triggers_stalled` gauge counts these, `poll_stalled` alerts
 * fire on them. `workflowId` narrows it to one workflow.
 */
export async function stalledPollTriggers(sql: Sql, workflowId?: string): Promise<StalledPollTrigger[]> {
  const rows = await sql`
    select workflow_id, trigger_type, stalled_at, consecutive_failures, last_error_code
    from poll_states
    where stalled_at is not null ${workflowId === undefined ? sql`` : sql`and workflow_id = ${workflowId}`}
    order by stalled_at, workflow_id`;
  return rows.map((row) => ({
    workflowId: String(row.workflowId),
    triggerType: String(row.triggerType),
    stalledAt: row.stalledAt as Date,
    consecutiveFailures: Number(row.consecutiveFailures),
    lastErrorCode: row.lastErrorCode === null ? null : String(row.lastErrorCode),
  }));
}
