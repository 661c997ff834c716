import type { AuditBy } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { ConflictError } from '../../lib/index.ts';
import type { WorkflowService } from './workflow-service.ts';
import { getVersionRow, getWorkflowRow } from './workflow-store.ts';

export type RollbackResult = {
  id: string;
  /** The version that was current before. */
  from: number;
  /** The version whose document is current again. */
  to: number;
  /** The version now current (a new one when the document changed). */
  version: number;
  changed: boolean;
};

/**
 * Makes an earlier version's document current again, as a new version (history is kept); default: the version
 * before the current one. What `vmesh workflows rollback`, POST /api/workflows/:id/rollback and the web page do.
 */
export async function rollbackWorkflow(
  sql: Sql,
  service: Pick<WorkflowService, 'addVersion'>,
  id: string,
  options: { toVersion?: number | undefined; by?: AuditBy | undefined } = {},
): Promise<RollbackResult> {
  const row = await getWorkflowRow(sql, id);
  const target = options.toVersion ?? row.currentVersion - 1;
  if (target < 1) {
    throw new ConflictError({
      code: 'E_CONFLICT',
      message: `Workflow ${id} has only version 1: there is nothing to roll back to.`,
      hint: 'Roll back once the workflow has an earlier version.',
    });
  }
  if (target === row.currentVersion) {
    throw new ConflictError({
      code: 'E_CONFLICT',
      message: `Version ${target} is already the current version of workflow ${id}.`,
      hint: 'Name an earlier version (GET /api/workflows/:id/versions lists them).',
    });
  }
  const old = await getVersionRow(sql, id, target);
  const added = await service.addVersion(id, old.document, options.by);
  return { id, from: row.currentVersion, to: target, version: added.version, changed: added.changed };
}
