import { type AuditBy, audit } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { getWorkflowRow, type WorkflowRow, workflowNotFound } from './workflow-store.ts';

/**
 * Shares a workflow with the workspace or makes it private to its owner (and admins) again, as one audited change.
 * Who may do it is the caller's check (its owner, or `workflow.manage_all`).
 */
export async function setWorkflowScope(
  sql: Sql,
  id: string,
  scope: 'private' | 'workspace',
  by: AuditBy,
): Promise<WorkflowRow> {
  await sql.begin(async (tx) => {
    const [row] = await tx`select scope from workflows where id = ${id} and deleted_at is null for update`;
    if (!row) throw workflowNotFound(id);
    if (row.scope === scope) return;
    await tx`update workflows set scope = ${scope}, updated_at = now() where id = ${id}`;
    await audit(tx, {
      ...by,
      action: 'workflow.scope_changed',
      subjectType: 'workflow',
      subjectId: id,
      details: { from: String(row.scope), to: scope },
    });
  });
  return getWorkflowRow(sql, id);
}
