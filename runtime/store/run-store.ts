import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { NotFoundError, redactSecrets } from '../../lib/index.ts';
import { onRunChange } from './run-notifications.ts';
import { isResting, RunStatus, StepStatus } from './run-status.ts';

export const StepView = z.object({
  id: z.string(),
  path: z.string(),
  status: StepStatus,
  attempt: z.number(),
  output: z.unknown(),
  error: z.unknown(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type StepView = z.infer<typeof StepView>;

/** The shape of GET /api/runs/:id and `vmesh run --wait --json` (runId, status, output, steps[{id,status,output,error}] + extras). */
export const RunView = z.object({
  runId: z.string(),
  workflowId: z.string(),
  version: z.number(),
  status: RunStatus,
  triggerType: z.string(),
  output: z.unknown(),
  error: z.unknown(),
  parentRunId: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  steps: z.array(StepView),
});
export type RunView = z.infer<typeof RunView>;

export const RunSummary = RunView.omit({ steps: true, output: true, error: true });
export type RunSummary = z.infer<typeof RunSummary>;

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : null);

function toSummary(row: Record<string, unknown>): RunSummary {
  return {
    runId: String(row.id),
    workflowId: String(row.workflowId),
    version: Number(row.version),
    status: RunStatus.parse(row.status),
    triggerType: String(row.triggerType),
    parentRunId: row.parentRunId ? String(row.parentRunId) : null,
    createdAt: iso(row.createdAt) ?? '',
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

export function runNotFound(runId: string): NotFoundError {
  return new NotFoundError({
    code: 'E_NOT_FOUND',
    message: `No run with id "${runId}".`,
    hint: 'List runs with GET /api/runs.',
  });
}

/** The workflow a run belongs to, or undefined for an unknown run. */
export async function findRunWorkflowId(sql: Sql, runId: string): Promise<string | undefined> {
  const [row] = await sql`select workflow_id from runs where id = ${runId}`;
  return row ? String(row.workflowId) : undefined;
}

export async function getRunView(sql: Sql, runId: string): Promise<RunView> {
  const [row] = await sql`
    select id, workflow_id, version, status, trigger_type, output, error, parent_run_id, created_at, started_at, finished_at
    from runs where id = ${runId}`;
  if (!row) {
    throw runNotFound(runId);
  }
  const steps = await sql`
    select node_id, path, status, attempt, output, error, started_at, finished_at from steps
    where run_id = ${runId} order by coalesce(started_at, created_at), path, node_id`;
  // Stored outputs are redacted when recorded; a view redacts again with what this process knows.
  return redactSecrets({
    ...toSummary(row),
    output: row.output ?? null,
    error: row.error ?? null,
    steps: steps.map((step) => ({
      id: String(step.nodeId),
      path: String(step.path),
      status: StepStatus.parse(step.status),
      attempt: Number(step.attempt),
      output: step.output ?? null,
      error: step.error ?? null,
      startedAt: iso(step.startedAt),
      finishedAt: iso(step.finishedAt),
    })),
  });
}

export async function listRunSummaries(
  sql: Sql,
  options: {
    workflowId?: string | undefined;
    status?: string | undefined;
    limit?: number;
    offset?: number;
    /** Only runs of workflows this user may see (workspace ones and their own private ones); all when absent. */
    visibleToUserId?: string | undefined;
  } = {},
): Promise<RunSummary[]> {
  const viewer = options.visibleToUserId;
  const rows = await sql`
    select id, workflow_id, version, status, trigger_type, parent_run_id, created_at, started_at, finished_at from runs
    where (${options.workflowId ?? null}::text is null or workflow_id = ${options.workflowId ?? null})
      and (${options.status ?? null}::text is null or status = ${options.status ?? null})
      ${
        viewer === undefined
          ? sql``
          : sql`and not exists (select 1 from workflows w where w.id = runs.workflow_id and w.scope = 'private'
              and w.owner_id is distinct from ${viewer})`
      }
    order by created_at desc limit ${options.limit ?? 50} offset ${options.offset ?? 0}`;
  return rows.map((row) => toSummary(row));
}

/**
 * Reads the run now and after each change of it (LISTEN on `vmesh_runs`, with a slow poll as a safety net)
 * until `until` holds for what was read or `timeoutMs` is up; returns the last read.
 */
export async function watchRun<T>(
  sql: Sql,
  runId: string,
  options: { read: () => Promise<T>; until: (value: T) => boolean; timeoutMs: number; pollMs: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let wake: () => void = () => {};
  let changed = false;
  const stop = await onRunChange(sql, runId, () => {
    changed = true;
    wake();
  });
  try {
    for (;;) {
      const value = await options.read();
      if (options.until(value) || Date.now() >= deadline) return value;
      if (!changed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(options.pollMs, Math.max(1, deadline - Date.now()))).unref();
        });
      }
      changed = false;
    }
  } finally {
    stop();
  }
}

/** Waits until the run is finished or waiting (`isResting`). */
export function waitForRun(sql: Sql, runId: string, options: { timeoutMs?: number } = {}): Promise<RunView> {
  return watchRun(sql, runId, {
    read: () => getRunView(sql, runId),
    until: (view) => isResting(view.status),
    timeoutMs: options.timeoutMs ?? 60_000,
    pollMs: 500,
  });
}
