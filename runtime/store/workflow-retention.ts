import { z } from 'zod';
import { type AuditBy, audit } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { workflowNotFound } from './workflow-store.ts';

/** The longest a workflow's run data may be kept (100 years): beyond it, 0 (forever) says what is meant. */
export const MAX_RETENTION_DAYS = 36_500;

/** A workflow's own retention: whole days (0 keeps its run data forever), or null to follow the global setting. */
export const WorkflowRetentionDays = z.number().int().min(0).max(MAX_RETENTION_DAYS).nullable();
export type WorkflowRetentionDays = z.infer<typeof WorkflowRetentionDays>;

export type WorkflowRetention = {
  id: string;
  /** The workflow's own setting; null when it follows VMESH_RUN_RETENTION_DAYS. */
  days: number | null;
  /** What applies: its own days, else the global ones (0: kept forever). */
  effectiveDays: number;
};

const viewOf = (id: string, days: number | null, globalDays: number): WorkflowRetention => ({
  id,
  days,
  effectiveDays: days ?? globalDays,
});

export async function getWorkflowRetention(
  sql: Sql,
  id: string,
  globalDays: number,
): Promise<WorkflowRetention> {
  const [row] = await sql`select run_retention_days from workflows where id = ${id} and deleted_at is null`;
  if (!row) throw workflowNotFound(id);
  return viewOf(id, row.runRetentionDays === null ? null : Number(row.runRetentionDays), globalDays);
}

/**
 * Sets how long the data of a workflow's finished runs is kept, over the global VMESH_RUN_RETENTION_DAYS (null goes
 * back to it), as one audited change; the hourly prune task applies it. Who may do it is the caller's check.
 */
export async function setWorkflowRetention(
  sql: Sql,
  id: string,
  days: WorkflowRetentionDays,
  globalDays: number,
  by: AuditBy,
): Promise<WorkflowRetention> {
  const valid = WorkflowRetentionDays.parse(days);
  await sql.begin(async (tx) => {
    const [row] =
      await tx`select run_retention_days from workflows where id = ${id} and deleted_at is null for update`;
    if (!row) throw workflowNotFound(id);
    const before = row.runRetentionDays === null ? null : Number(row.runRetentionDays);
    if (before === valid) return;
    await tx`update workflows set run_retention_days = ${valid}, updated_at = now() where id = ${id}`;
    await audit(tx, {
      ...by,
      action: 'workflow.retention_changed',
      subjectType: 'workflow',
      subjectId: id,
      details: { from: before, to: valid },
    });
  });
  return viewOf(id, valid, globalDays);
}
