import type { Sql } from '../../db/index.ts';
import { redactSecrets } from '../../lib/index.ts';

/** A run's step that waits for a person: the question, and the step's input (what the approver decides on). */
export type PendingApproval = {
  approvalId: string;
  nodeId: string;
  path: string;
  message: string;
  input: unknown;
};

/** The run's pending approvals (core.approval steps, core.agent write calls), oldest first. */
export async function pendingApprovalsOf(sql: Sql, runId: string): Promise<PendingApproval[]> {
  const rows = await sql`
    select a.id, a.node_id, a.path, a.message, s.input from approvals a
    left join steps s on s.run_id = a.run_id and s.node_id = a.node_id and s.path = a.path
    where a.run_id = ${runId} and a.status = 'pending'
    order by a.created_at`;
  return rows.map((row) => ({
    approvalId: String(row.id),
    nodeId: String(row.nodeId),
    path: String(row.path),
    message: String(row.message),
    input: redactSecrets(row.input ?? null),
  }));
}
