import { z } from 'zod';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { RunStatus, StepStatus } from '../store/run-status.ts';
import { loadDocument } from '../store/workflow-store.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { visibleSteps } from './graph.ts';
import { stepKey } from './scope-path.ts';

export const RunRow = z.object({
  id: z.string(),
  workflowId: z.string(),
  version: z.number().int(),
  status: RunStatus,
  trigger: z.unknown(),
  parentRunId: z.string().nullable(),
  parentNodeId: z.string().nullable(),
  parentPath: z.string().nullable(),
  response: z.unknown().nullable(),
  /** The run's trace (runs.traceparent, runs.trace_parent_id): its steps' spans and outbound requests join it. */
  traceparent: z.string().nullable().default(null),
  traceParentId: z.string().nullable().default(null),
});
export type RunRow = z.infer<typeof RunRow>;

export const StepRow = z.object({
  nodeId: z.string(),
  path: z.string(),
  status: StepStatus,
  branch: z.string().nullable(),
  input: z.unknown().nullable(),
  output: z.unknown().nullable(),
});
export type StepRow = z.infer<typeof StepRow>;

/** What executing a step needs: the run, its (immutable, cached) document and the outputs recorded so far. */
export type RunContext = {
  run: RunRow;
  document: WorkflowDocument;
  steps: Map<string, StepRow>;
};

type Db = Sql | TransactionSql;

export async function loadRun(sql: Db, runId: string): Promise<RunRow | undefined> {
  const [row] = await sql`
    select id, workflow_id, version, status, trigger, parent_run_id, parent_node_id, parent_path, response,
      traceparent, trace_parent_id
    from runs where id = ${runId}`;
  return row ? RunRow.parse(row) : undefined;
}

export async function loadSteps(sql: Db, runId: string): Promise<Map<string, StepRow>> {
  const rows =
    await sql`select node_id, path, status, branch, input, output from steps where run_id = ${runId}`;
  const steps = new Map<string, StepRow>();
  for (const row of rows) {
    const step = StepRow.parse(row);
    steps.set(stepKey(step.nodeId, step.path), step);
  }
  return steps;
}

/** The steps a node at `path` can read (its ancestors and enclosing foreach nodes), not the whole run. */
export async function loadStepsFor(
  sql: Db,
  runId: string,
  document: WorkflowDocument,
  nodeId: string,
  path: string,
): Promise<Map<string, StepRow>> {
  const visible = visibleSteps(document, nodeId, path);
  const steps = new Map<string, StepRow>();
  if (visible.nodeIds.length === 0) return steps;
  const rows = await sql`
    select node_id, path, status, branch, input, output from steps
    where run_id = ${runId} and (node_id, path) in (select * from unnest(${visible.nodeIds}::text[], ${visible.paths}::text[]))`;
  for (const row of rows) {
    const step = StepRow.parse(row);
    steps.set(stepKey(step.nodeId, step.path), step);
  }
  return steps;
}

export async function loadRunContext(sql: Db, runId: string): Promise<RunContext | undefined> {
  const run = await loadRun(sql, runId);
  if (!run) return undefined;
  const [document, steps] = await Promise.all([
    loadDocument(sql, run.workflowId, run.version),
    loadSteps(sql, runId),
  ]);
  return { run, document, steps };
}
