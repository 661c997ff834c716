import { Cron } from 'croner';
import { z } from 'zod';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { logger } from '../../lib/index.ts';
import { createRunInTx } from '../engine/create-run.ts';
import { enqueueJob, flushWork, newWork } from '../engine/tx-work.ts';
import { loadDocument } from '../store/workflow-store.ts';
import type { WorkflowDocument } from '../workflow/document.ts';

export const SCHEDULE_TASK = 'vmesh_schedule';
export const ScheduleJobPayload = z.object({
  workflowId: z.string().min(1),
  slot: z.iso.datetime({ offset: true }),
});

export function scheduleJobKey(workflowId: string): string {
  return `schedule:${workflowId}`;
}

/** The next slot of a schedule trigger strictly after `after`, or undefined when the cron has no future slot. */
export function nextSlot(document: WorkflowDocument, after: Date): Date | undefined {
  const { cron, timezone } = document.trigger;
  if (document.trigger.type !== 'schedule' || !cron) return undefined;
  const next = new Cron(cron, { timezone: timezone ?? 'UTC', paused: true }).nextRun(after);
  return next ?? undefined;
}

/**
 * Keeps exactly one pending tick job per scheduled workflow (job key `schedule:<id>`): (re)planned when the
 * workflow is activated or gets a new version, removed when it is deactivated or deleted.
 */
export async function syncSchedule(sql: Sql | TransactionSql, workflowId: string): Promise<Date | undefined> {
  const [row] = await sql`select active, current_version, deleted_at from workflows where id = ${workflowId}`;
  const workflow = z
    .object({ active: z.boolean(), currentVersion: z.number(), deletedAt: z.date().nullable() })
    .optional()
    .parse(row);
  const document = workflow ? await loadDocument(sql, workflowId, workflow.currentVersion) : undefined;
  const slot =
    workflow?.active && !workflow.deletedAt && document ? nextSlot(document, new Date()) : undefined;
  if (!slot) {
    await sql`select graphile_worker.remove_job(${scheduleJobKey(workflowId)})`;
    return undefined;
  }
  await sql`
    select id from graphile_worker.add_job(${SCHEDULE_TASK}, ${sql.json({ workflowId, slot: slot.toISOString() })}::json,
      run_at => ${slot}, job_key => ${scheduleJobKey(workflowId)}, max_attempts => 25)`;
  return slot;
}

/**
 * One schedule tick: starts the run for its slot (deduplicated on the slot, so however many workers run
 * there is one run per slot) and plans the next slot after *now*. After downtime the overdue tick fires once
 * and the missed slots in between are skipped: no catch-up storm.
 */
export async function runScheduleJob(sql: Sql, payload: unknown): Promise<void> {
  const tick = ScheduleJobPayload.parse(payload);
  await sql.begin(async (tx) => {
    const [row] =
      await tx`select active, current_version from workflows where id = ${tick.workflowId} and deleted_at is null for update`;
    const workflow = z.object({ active: z.boolean(), currentVersion: z.number() }).optional().parse(row);
    if (!workflow?.active) return;
    const document = await loadDocument(tx, tick.workflowId, workflow.currentVersion);
    const work = newWork();
    const created = await createRunInTx(tx, work, {
      workflowId: tick.workflowId,
      version: workflow.currentVersion,
      document,
      trigger: { scheduledAt: tick.slot, firedAt: new Date().toISOString() },
      triggerType: 'schedule',
      dedupeKey: `schedule:${tick.slot}`,
    });
    const after = new Date(Math.max(Date.now(), new Date(tick.slot).getTime()));
    const next = nextSlot(document, after);
    if (next) {
      enqueueJob(
        work,
        SCHEDULE_TASK,
        { workflowId: tick.workflowId, slot: next.toISOString() },
        scheduleJobKey(tick.workflowId),
        next,
      );
    }
    await flushWork(tx, work);
    logger.debug(
      { workflowId: tick.workflowId, slot: tick.slot, runId: created.runId, next },
      'schedule tick',
    );
  });
}
