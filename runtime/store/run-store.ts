import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { NotFoundError, redactSecrets, traceIdOf } from '../../lib/index.ts';
import { onRunChange } from './run-notifications.ts';
import { isResting, RunStatus, StepStatus } from './run-status.ts';

/** A recorded sub-step of a step (core.agent: a model turn, a tool call, the memory it read, a summary). */
export const SubStepView = z.object({
  seq: z.number(),
  kind: z.string(),
  name: z.string().nullable(),
  input: z.unknown(),
  output: z.unknown(),
  isError: z.boolean(),
  /** When it was recorded (it ended). */
  at: z.string().nullable(),
  /** When it began (an approval: when the wait began); null on older records. */
  startedAt: z.string().nullable().optional(),
});
export type SubStepView = z.infer<typeof SubStepView>;

/** Most characters of a sub-step's input or output shown in a run view (the record keeps them whole). */
const SUB_STEP_VIEW_CHARS = 4_000;

export const StepView = z.object({
  id: z.string(),
  path: z.string(),
  status: StepStatus,
  attempt: z.number(),
  /** The output, or for an output over VIEW_OUTPUT_MAX_BYTES a TruncatedOutput marker (see outputTruncated). */
  output: z.unknown(),
  /** Serialised size of the stored output (null when the step has none). */
  outputBytes: z.number().nullable(),
  outputTruncated: z.boolean(),
  error: z.unknown(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Only on steps that record sub-steps (core.agent), in order. */
  subSteps: z.array(SubStepView).optional(),
});
export type StepView = z.infer<typeof StepView>;

/** What a run view shows instead of a large output: its size, and where to read it whole. */
export type TruncatedOutput = { truncated: true; bytes: number; href?: string; hint?: string };

/**
 * The shape of GET /api/runs/:id and `vmesh run --wait --json` (runId, status, output, steps[{id,status,output,error}]
 * + extras). Steps come a page at a time (`stepsTotal`, `nextStepsOffset`); outputs over VIEW_OUTPUT_MAX_BYTES are
 * TruncatedOutput markers, read whole with GET /api/runs/:id/steps/:nodeId.
 */
export const RunView = z.object({
  runId: z.string(),
  workflowId: z.string(),
  version: z.number(),
  status: RunStatus,
  triggerType: z.string(),
  output: z.unknown(),
  error: z.unknown(),
  parentRunId: z.string().nullable(),
  /**
   * The run's correlation id: the W3C trace id of its webhook request (an inbound traceparent) or a new one. Its log
   * lines, its spans and the traceparent of its steps' outbound requests carry it. Null for runs older than it.
   */
  traceId: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  steps: z.array(StepView),
  stepsTotal: z.number(),
  /** The `stepsOffset` of the next page, or null on the last. */
  nextStepsOffset: z.number().nullable(),
  /** When its data was pruned (VMESH_RUN_RETENTION_DAYS), with what is kept of it; null while it is all here. */
  pruned: z
    .object({
      at: z.string(),
      summary: z.object({ steps: z.number(), failedSteps: z.number(), durationMs: z.number().nullable() }),
    })
    .nullable(),
});
export type RunView = z.infer<typeof RunView>;

/** Step outputs larger than this are shown as a TruncatedOutput marker in run views. */
export const VIEW_OUTPUT_MAX_BYTES = 16 * 1024;
/** A run's own output larger than this is shown as a TruncatedOutput marker in run views. */
export const VIEW_RUN_OUTPUT_MAX_BYTES = 1024 * 1024;
/** Steps per run view page: default and most. */
export const DEFAULT_VIEW_STEPS = 100;
export const MAX_VIEW_STEPS = 500;

export type RunViewOptions = { stepsLimit?: number | undefined; stepsOffset?: number | undefined };

export const RunSummary = RunView.omit({
  steps: true,
  output: true,
  error: true,
  stepsTotal: true,
  nextStepsOffset: true,
  pruned: true,
  traceId: true,
});
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

export function stepOutputHref(runId: string, nodeId: string, path: string): string {
  const base = `/api/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(nodeId)}`;
  return path ? `${base}?path=${encodeURIComponent(path)}` : base;
}

/** The size of a step's output as stored: measured when recorded, or (rows older than that) measured now. */
const OUTPUT_BYTES = 'coalesce(output_bytes, octet_length(output::text))';

/** A run with one page of its steps; large outputs (the run's too) are truncated without being read. */
export async function getRunView(sql: Sql, runId: string, options: RunViewOptions = {}): Promise<RunView> {
  const limit = Math.min(MAX_VIEW_STEPS, Math.max(1, options.stepsLimit ?? DEFAULT_VIEW_STEPS));
  const offset = Math.max(0, options.stepsOffset ?? 0);
  const [row] = await sql`
    select id, workflow_id, version, status, trigger_type, error, parent_run_id, created_at, started_at, finished_at,
      pruned_at, summary, traceparent, octet_length(output::text) as output_bytes,
      case when octet_length(output::text) > ${VIEW_RUN_OUTPUT_MAX_BYTES} then null else output end as output,
      (select count(*)::int from steps where run_id = ${runId}) as steps_total
    from runs where id = ${runId}`;
  if (!row) throw runNotFound(runId);
  const steps = await sql`
    select node_id, path, status, attempt, error, started_at, finished_at,
      ${sql.unsafe(OUTPUT_BYTES)} as output_bytes,
      case when ${sql.unsafe(OUTPUT_BYTES)} > ${VIEW_OUTPUT_MAX_BYTES} then null else output end as output
    from steps
    where run_id = ${runId} order by coalesce(started_at, created_at), path, node_id
    limit ${limit} offset ${offset}`;
  const subSteps = await subStepsOf(sql, runId);
  const total = Number(row.stepsTotal);
  const runBytes = row.outputBytes === null ? null : Number(row.outputBytes);
  // Stored outputs are redacted when recorded; a view redacts again with what this process knows.
  return redactSecrets({
    ...toSummary(row),
    traceId: traceIdOf(row.traceparent === null ? null : String(row.traceparent)),
    output:
      runBytes !== null && runBytes > VIEW_RUN_OUTPUT_MAX_BYTES
        ? ({
            truncated: true,
            bytes: runBytes,
            hint: "The run's output is its last step's: read it whole with GET /api/runs/:id/steps/:nodeId.",
          } satisfies TruncatedOutput)
        : (row.output ?? null),
    error: row.error ?? null,
    pruned: row.prunedAt
      ? {
          at: iso(row.prunedAt) ?? '',
          summary: RunView.shape.pruned.unwrap().shape.summary.parse(row.summary),
        }
      : null,
    steps: steps.map((step) => {
      const bytes = step.outputBytes === null ? null : Number(step.outputBytes);
      const truncated = bytes !== null && bytes > VIEW_OUTPUT_MAX_BYTES;
      const marker: TruncatedOutput | undefined = truncated
        ? { truncated: true, bytes, href: stepOutputHref(runId, String(step.nodeId), String(step.path)) }
        : undefined;
      return {
        id: String(step.nodeId),
        path: String(step.path),
        status: StepStatus.parse(step.status),
        attempt: Number(step.attempt),
        output: marker ?? step.output ?? null,
        outputBytes: bytes,
        outputTruncated: truncated,
        error: step.error ?? null,
        startedAt: iso(step.startedAt),
        finishedAt: iso(step.finishedAt),
        ...withSubSteps(subSteps.get(`${String(step.nodeId)}\u0000${String(step.path)}`)),
      };
    }),
    stepsTotal: total,
    nextStepsOffset: offset + steps.length < total ? offset + steps.length : null,
  });
}

const clip = (value: unknown): unknown => {
  const text = JSON.stringify(value ?? null);
  return text.length > SUB_STEP_VIEW_CHARS
    ? { truncated: true, preview: text.slice(0, SUB_STEP_VIEW_CHARS) }
    : value;
};

const withSubSteps = (list: SubStepView[] | undefined) => (list ? { subSteps: list } : {});

/** The run's sub-steps by step (node id and path). */
async function subStepsOf(sql: Sql, runId: string): Promise<Map<string, SubStepView[]>> {
  const rows = await sql`
    select node_id, path, seq, kind, name, input, output, is_error, started_at, created_at from agent_calls
    where run_id = ${runId} order by node_id, path, seq`;
  const byStep = new Map<string, SubStepView[]>();
  for (const row of rows) {
    const key = `${String(row.nodeId)}\u0000${String(row.path)}`;
    const list = byStep.get(key) ?? [];
    list.push({
      seq: Number(row.seq),
      kind: String(row.kind),
      name: row.name === null ? null : String(row.name),
      input: clip(row.input ?? null),
      output: clip(row.output ?? null),
      isError: Boolean(row.isError),
      at: iso(row.createdAt),
      startedAt: iso(row.startedAt),
    });
    byStep.set(key, list);
  }
  return byStep;
}

export const StepDetail = z.object({
  runId: z.string(),
  id: z.string(),
  path: z.string(),
  status: StepStatus,
  attempt: z.number(),
  input: z.unknown(),
  output: z.unknown(),
  outputBytes: z.number().nullable(),
  error: z.unknown(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type StepDetail = z.infer<typeof StepDetail>;

/** One step of a run in full: its input and whole output (GET /api/runs/:id/steps/:nodeId). */
export async function getStepDetail(
  sql: Sql,
  runId: string,
  nodeId: string,
  path: string,
): Promise<StepDetail> {
  const [step] = await sql`
    select node_id, path, status, attempt, input, output, error, started_at, finished_at,
      ${sql.unsafe(OUTPUT_BYTES)} as output_bytes
    from steps where run_id = ${runId} and node_id = ${nodeId} and path = ${path}`;
  if (!step) {
    const [run] = await sql`select 1 from runs where id = ${runId}`;
    if (!run) throw runNotFound(runId);
    throw new NotFoundError({
      code: 'E_NOT_FOUND',
      message: `Run ${runId} has no step "${nodeId}"${path ? ` at path "${path}"` : ''}.`,
      hint: 'Take the step id and path from GET /api/runs/:id (a foreach body step needs its `path`).',
    });
  }
  return redactSecrets({
    runId,
    id: String(step.nodeId),
    path: String(step.path),
    status: StepStatus.parse(step.status),
    attempt: Number(step.attempt),
    input: step.input ?? null,
    output: step.output ?? null,
    outputBytes: step.outputBytes === null ? null : Number(step.outputBytes),
    error: step.error ?? null,
    startedAt: iso(step.startedAt),
    finishedAt: iso(step.finishedAt),
  });
}

export async function listRunSummaries(
  sql: Sql,
  options: {
    workflowId?: string | undefined;
    status?: string | undefined;
    /** Runs created at or after this instant. */
    from?: Date | undefined;
    /** Runs created before this instant. */
    to?: Date | undefined;
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
      and (${options.from ?? null}::timestamptz is null or created_at >= ${options.from ?? null})
      and (${options.to ?? null}::timestamptz is null or created_at < ${options.to ?? null})
      ${
        viewer === undefined
          ? sql``
          : sql`and not exists (select 1 from workflows w where w.id = runs.workflow_id and w.scope = 'private'
              and w.owner_id is distinct from ${viewer})`
      }
    order by created_at desc, id desc limit ${options.limit ?? 50} offset ${options.offset ?? 0}`;
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
