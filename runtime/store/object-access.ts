import { allows, assertAllowed, canSee, type Principal, seesAll } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { findRunWorkflowId, runNotFound } from './run-store.ts';
import {
  getWorkflowRow,
  type WorkflowRow,
  type WorkflowVisibility,
  workflowNotFound,
  workflowOwnership,
} from './workflow-store.ts';

// Object-level authorization of the API: what a principal may see and change. Invisible objects are reported
// as unknown (404), never as forbidden, so their ids do not leak.

export function visibilityOf(principal: Principal): WorkflowVisibility {
  return seesAll(principal) ? { seesAll: true } : { seesAll: false, userId: principal.userId };
}

/** The workflow when the principal may see it; else the same 404 as for an unknown id. */
export async function visibleWorkflow(sql: Sql, principal: Principal, id: string): Promise<WorkflowRow> {
  const row = await getWorkflowRow(sql, id);
  if (!canSee(principal, row)) throw workflowNotFound(id);
  return row;
}

/** True when the principal owns the workflow (a workflow made before users existed has no owner). */
export function owns(principal: Principal, row: { ownerId: string | null }): boolean {
  return row.ownerId !== null && row.ownerId === principal.userId;
}

/**
 * The workflow when the principal may change it directly: their own with `workflow.propose` (the route checks
 * that), anybody else's with `workflow.manage_all` (403 here).
 */
export async function changeableWorkflow(sql: Sql, principal: Principal, id: string): Promise<WorkflowRow> {
  const row = await visibleWorkflow(sql, principal, id);
  if (!owns(principal, row)) assertAllowed(principal, 'workflow.manage_all');
  return row;
}

/** The hook secret belongs to the workflow's owner and to those who manage anybody's workflows. */
export function mayHandleHookSecret(principal: Principal, row: { ownerId: string | null }): boolean {
  return owns(principal, row) || allows(principal, 'workflow.manage_all');
}

/** Resolves when the principal may see the run (it inherits its workflow's visibility); else a 404. */
export async function assertRunVisible(sql: Sql, principal: Principal, runId: string): Promise<void> {
  const workflowId = await findRunWorkflowId(sql, runId);
  if (workflowId === undefined) throw runNotFound(runId);
  const ownership = await workflowOwnership(sql, workflowId);
  if (ownership && !canSee(principal, ownership)) throw runNotFound(runId);
}
