import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { redactString } from '../../lib/index.ts';
import { failureGroupOf, failureReason } from './failure-group.ts';

export const FailedRun = z.object({
  runId: z.string(),
  workflowId: z.string(),
  workflow: z.string(),
  version: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** The step that failed (null: the run failed outside a step). */
  step: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  /** The failure group: runs that failed the same way share it (retry them together with retryFailedRuns). */
  group: z.string(),
});
export type FailedRun = z.infer<typeof FailedRun>;

export type FailedRunFilter = {
  workflowId?: string | undefined;
  /** Only runs of workflows this user may see (workspace ones and their own private ones); all when absent. */
  visibleToUserId?: string | undefined;
  group?: string | undefined;
  limit: number;
};

/** How many recent failures are read to find the members of one group. */
const GROUP_SCAN = 1_000;
const MESSAGE_MAX = 500;

const Row = z.object({
  id: z.string(),
  workflowId: z.string(),
  name: z.string().nullable(),
  version: z.number(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
  runError: z.unknown(),
  nodeId: z.string().nullable(),
  stepError: z.unknown(),
});

/**
 * Recent failed runs (newest first) with why they failed and their failure group. Pruned runs are left out:
 * their data is gone, so they cannot be retried.
 */
export async function listFailedRuns(sql: Sql, filter: FailedRunFilter): Promise<FailedRun[]> {
  const viewer = filter.visibleToUserId;
  const rows = await sql`
    select r.id, r.workflow_id, w.name, r.version, r.created_at, r.finished_at, r.error as run_error,
      s.node_id, s.error as step_error
    from runs r
    left join workflows w on w.id = r.workflow_id
    left join lateral (
      select node_id, error from steps where run_id = r.id and status = 'failed'
      order by created_at, node_id, path limit 1
    ) s on true
    where r.status = 'failed' and r.pruned_at is null
      and (${filter.workflowId ?? null}::text is null or r.workflow_id = ${filter.workflowId ?? null})
      ${
        viewer === undefined
          ? sql``
          : sql`and not exists (select 1 from workflows v where v.id = r.workflow_id and v.scope = 'private'
              and v.owner_id is distinct from ${viewer})`
      }
    order by r.created_at desc limit ${filter.group ? GROUP_SCAN : filter.limit}`;
  const failed = rows.map((raw) => {
    const row = Row.parse(raw);
    const error = row.nodeId ? row.stepError : row.runError;
    const reason = failureReason(error);
    return FailedRun.parse({
      runId: row.id,
      workflowId: row.workflowId,
      workflow: row.name ?? row.workflowId,
      version: row.version,
      createdAt: row.createdAt.toISOString(),
      finishedAt: row.finishedAt?.toISOString() ?? null,
      step: row.nodeId,
      code: reason.code,
      message: redactString(reason.message).slice(0, MESSAGE_MAX),
      group: failureGroupOf({ workflowId: row.workflowId, version: row.version, nodeId: row.nodeId, error }),
    });
  });
  return filter.group ? failed.filter((run) => run.group === filter.group).slice(0, filter.limit) : failed;
}
