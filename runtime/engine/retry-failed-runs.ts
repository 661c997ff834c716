import { z } from 'zod';
import type { AuditBy } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { describeError, ValidationError } from '../../lib/index.ts';
import { type FailedRunFilter, listFailedRuns } from '../store/failed-runs.ts';
import { retryRun } from './engine.ts';

/** The most runs one call retries; the answer says when more matched (`more`). */
export const MAX_RETRY_FAILED = 100;

export const RetryFailedResult = z.object({
  group: z.string().nullable(),
  workflowId: z.string().nullable(),
  retried: z.array(z.object({ runId: z.string(), workflowId: z.string(), version: z.number().int() })),
  /** Runs that matched but could not be retried (e.g. another retry got there first), with why. */
  notRetried: z.array(z.object({ runId: z.string(), reason: z.string() })),
  /** More runs matched than `limit`: call again to retry the next ones. */
  more: z.boolean(),
});
export type RetryFailedResult = z.infer<typeof RetryFailedResult>;

/**
 * Retries every failed run of a failure group (runs that failed the same way) or of a workflow, newest first and at
 * most `limit`: each resumes at its failed step on its workflow's newest version (typically right after a fix was
 * approved). Each retry is its own transaction and audit entry (`run.retried`).
 */
export async function retryFailedRuns(
  sql: Sql,
  filter: Omit<FailedRunFilter, 'limit'> & { limit?: number | undefined; by?: AuditBy | undefined },
): Promise<RetryFailedResult> {
  if (!filter.group && !filter.workflowId) {
    throw new ValidationError({
      code: 'E_PARAMS',
      message: 'Say which failed runs to retry: a failure group, a workflow, or both.',
      hint: 'Take the group from list_failed_runs, `vmesh runs list --status failed` or explain_failure.',
    });
  }
  const limit = Math.min(filter.limit ?? 20, MAX_RETRY_FAILED);
  const matched = await listFailedRuns(sql, { ...filter, limit: limit + 1 });
  const result: RetryFailedResult = {
    group: filter.group ?? null,
    workflowId: filter.workflowId ?? null,
    retried: [],
    notRetried: [],
    more: matched.length > limit,
  };
  // The newest version of each workflow; null for a deleted one (its runs stay as they are).
  const newest = new Map<string, number | null>();
  for (const run of matched.slice(0, limit)) {
    try {
      if (!newest.has(run.workflowId)) {
        const [row] =
          await sql`select current_version from workflows where id = ${run.workflowId} and deleted_at is null`;
        newest.set(run.workflowId, row ? z.number().int().parse(row.currentVersion) : null);
      }
      const version = newest.get(run.workflowId);
      if (version === null || version === undefined) {
        result.notRetried.push({ runId: run.runId, reason: `Workflow ${run.workflowId} was deleted.` });
        continue;
      }
      const retried = await retryRun(sql, run.runId, { version, by: filter.by });
      result.retried.push({ runId: retried.runId, workflowId: run.workflowId, version: retried.version });
    } catch (error) {
      result.notRetried.push({ runId: run.runId, reason: describeError(error) });
    }
  }
  return result;
}
