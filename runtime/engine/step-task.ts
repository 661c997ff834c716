import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { AppError } from '../../lib/errors.ts';
import type { WorkflowNode } from '../workflow/document.ts';
import { edgeActive, findNode, graphForPath, incomingEdges, LIVE_RUN } from './graph.ts';
import { type NodeRunnerDeps, PURE_CORE_NODES, runNode } from './node-runner.ts';
import type { Outcome } from './outcome.ts';
import { loadRunContext, loadSteps, type RunContext } from './run-context.ts';
import { jobKeyFor, stepKey } from './scope-path.ts';
import { toStepError } from './step-error.ts';
import {
  type Executed,
  flushWork,
  insertReady,
  lockRun,
  newWork,
  recordExecution,
  type StepJobPayload,
} from './transitions.ts';

type Claim = {
  nodeId: string;
  path: string;
  fence: number;
  attempt: number;
  previous: string;
  state: unknown;
  wakeAt: Date | null;
};

const ClaimRow = z.object({
  previous: z.string(),
  fence: z.coerce.number(),
  attempt: z.number(),
  state: z.unknown(),
  wakeAt: z.date().nullable(),
});

/** Most pure steps run back to back before one commit. */
const MAX_BATCH = 32;

async function claimStep(
  sql: Sql,
  runId: string,
  nodeId: string,
  path: string,
  jobKey: string,
): Promise<Claim | undefined> {
  const [row] = await sql`
    with current as (
      select status from steps where run_id = ${runId} and node_id = ${nodeId} and path = ${path} for update
    )
    update steps s set
      fence = s.fence + 1,
      status = case when current.status = 'waiting' then 'waiting' else 'running' end,
      attempt = case when current.status = 'waiting' then s.attempt else s.attempt + 1 end,
      started_at = coalesce(s.started_at, now()),
      origin_job = ${jobKey}
    from current
    where s.run_id = ${runId} and s.node_id = ${nodeId} and s.path = ${path}
      and current.status in ('queued', 'running', 'retrying', 'waiting')
    returning current.status as previous, s.fence, s.attempt, s.state, s.wake_at`;
  if (!row) return undefined;
  return { nodeId, path, ...ClaimRow.parse(row) };
}

/** A job whose own step is done may still own a step it started inline before the worker died: resume that. */
async function claimOrphan(sql: Sql, runId: string, jobKey: string): Promise<Claim | undefined> {
  const [row] = await sql`
    select node_id, path from steps where run_id = ${runId} and origin_job = ${jobKey} and status = 'running' limit 1`;
  if (!row) return undefined;
  const orphan = z.object({ nodeId: z.string(), path: z.string() }).parse(row);
  return claimStep(sql, runId, orphan.nodeId, orphan.path, jobKey);
}

/** A waiting step's job ran: has what it waits for happened? */
async function resume(sql: Sql, ctx: RunContext, node: WorkflowNode, claim: Claim): Promise<Outcome> {
  switch (node.uses) {
    case 'core.delay': {
      if (claim.wakeAt && claim.wakeAt.getTime() > Date.now() + 5)
        return { kind: 'pending', requeueAt: claim.wakeAt };
      return { kind: 'succeeded', input: null, output: { resumedAt: new Date().toISOString() } };
    }
    case 'core.approval': {
      const [row] = await sql`
        select id, status, decided_by, comment from approvals where run_id = ${ctx.run.id} and node_id = ${node.id} and path = ${claim.path}`;
      const approval = z
        .object({
          id: z.string(),
          status: z.string(),
          decidedBy: z.string().nullable(),
          comment: z.string().nullable(),
        })
        .optional()
        .parse(row);
      if (!approval || (approval.status !== 'approved' && approval.status !== 'rejected'))
        return { kind: 'pending' };
      return {
        kind: 'succeeded',
        input: null,
        output: {
          approvalId: approval.id,
          decision: approval.status,
          decidedBy: approval.decidedBy,
          comment: approval.comment,
        },
        branch: approval.status,
      };
    }
    case 'core.subworkflow': {
      const childRunId = z.object({ childRunId: z.string() }).safeParse(claim.state);
      if (!childRunId.success) return { kind: 'pending' };
      const [row] =
        await sql`select status, output, error from runs where id = ${childRunId.data.childRunId}`;
      const child = z
        .object({ status: z.string(), output: z.unknown(), error: z.unknown() })
        .optional()
        .parse(row);
      if (!child || LIVE_RUN.has(child.status)) return { kind: 'pending' };
      if (child.status === 'succeeded')
        return { kind: 'succeeded', input: null, output: child.output ?? null };
      const reason = z.object({ message: z.string() }).safeParse(child.error);
      return {
        kind: 'failed',
        input: null,
        error: {
          code: 'E_SUBWORKFLOW',
          message: `The child run ${childRunId.data.childRunId} ${child.status}${reason.success ? `: ${reason.data.message}` : ''}.`,
          hint: 'Open the child run to see which of its steps failed and why.',
          retryable: false,
          details: { childRunId: childRunId.data.childRunId },
        },
      };
    }
    default:
      return { kind: 'pending' };
  }
}

/** The next node of a pure chain: this node's only edge, into a pure core node with no other incoming edge. */
function chainSuccessor(
  ctx: RunContext,
  node: WorkflowNode,
  path: string,
  outcome: Outcome,
): WorkflowNode | undefined {
  if (outcome.kind !== 'succeeded' || outcome.respond) return undefined;
  const graph = graphForPath(ctx.document, path);
  const outgoing = graph.edges.filter((edge) => edge.from === node.id);
  const edge = outgoing[0];
  if (outgoing.length !== 1 || !edge) return undefined;
  if (!edgeActive(edge, { status: 'succeeded', branch: outcome.branch ?? null })) return undefined;
  if (incomingEdges(graph, edge.to).length !== 1) return undefined;
  const next = findNode(graph, edge.to);
  return PURE_CORE_NODES.has(next.uses) ? next : undefined;
}

function remember(ctx: RunContext, nodeId: string, path: string, outcome: Outcome): void {
  if (outcome.kind !== 'succeeded') return;
  ctx.steps.set(stepKey(nodeId, path), {
    nodeId,
    path,
    status: 'succeeded',
    branch: outcome.branch ?? null,
    input: outcome.input ?? null,
    output: outcome.output ?? null,
  });
}

/**
 * The `vmesh_step` task: claims the step the job points at (bumping its fence), runs it, records the result
 * and moves the run forward in one transaction; while exactly one successor becomes ready it keeps going in
 * this worker. A job whose step is already finished in the ledger does nothing.
 */
export async function runStepJob(
  deps: NodeRunnerDeps,
  payload: StepJobPayload,
  jobKey: string | null,
  signal: AbortSignal,
): Promise<void> {
  const { sql } = deps;
  const key = jobKey ?? jobKeyFor(payload.runId, payload.nodeId, payload.path);
  const ctx = await loadRunContext(sql, payload.runId);
  if (!ctx || !LIVE_RUN.has(ctx.run.status)) return;
  let claim =
    (await claimStep(sql, payload.runId, payload.nodeId, payload.path, key)) ??
    (await claimOrphan(sql, payload.runId, key));
  if (claim && ctx.run.status === 'queued') {
    await sql`update runs set status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
      where id = ${ctx.run.id} and status = 'queued'`;
  }
  while (claim) {
    const current: Claim = claim;
    const graph = graphForPath(ctx.document, current.path);
    let node = findNode(graph, current.nodeId);
    let outcome: Outcome;
    const maxAttempts = node.retry?.maxAttempts ?? 3;
    if (current.previous === 'waiting') {
      outcome = await resume(sql, ctx, node, current);
    } else if (current.attempt > maxAttempts) {
      outcome = {
        kind: 'failed',
        input: null,
        error: toStepError(
          new AppError({
            code: 'E_WORKER_LOST',
            message: `Step "${node.id}" was started ${current.attempt - 1} times and never finished: the worker running it stopped each time.`,
            hint: 'The step may crash the worker (memory, native code) or take longer than the worker lease; make it lighter or split it.',
          }),
        ),
      };
    } else {
      outcome = await runNode(deps, ctx, node, current.path, current.attempt, signal);
    }
    const executed: Executed[] = [{ nodeId: node.id, path: current.path, outcome }];
    remember(ctx, node.id, current.path, outcome);
    for (let next = chainSuccessor(ctx, node, current.path, outcome); next && executed.length < MAX_BATCH; ) {
      node = next;
      outcome = await runNode(deps, ctx, node, current.path, 1, signal);
      executed.push({ nodeId: node.id, path: current.path, outcome });
      remember(ctx, node.id, current.path, outcome);
      next = chainSuccessor(ctx, node, current.path, outcome);
    }
    const result = await sql.begin(async (tx) => {
      const work = newWork();
      const run = await lockRun(tx, payload.runId);
      if (!run || !LIVE_RUN.has(run.status)) return { state: 'stopped' as const };
      const recorded = await recordExecution(tx, work, run, ctx.document, current, executed);
      if (recorded === 'fenced') return { state: 'fenced' as const };
      const inline = await insertReady(tx, work, { runId: run.id, jobKey: key });
      await flushWork(tx, work);
      return { state: 'recorded' as const, inline };
    });
    if (result.state !== 'recorded' || !result.inline) return;
    const inline = result.inline;
    claim = { ...inline, attempt: 1, previous: 'queued', state: null, wakeAt: null };
    const inlineGraph = graphForPath(ctx.document, inline.path);
    if (inline.path !== current.path || incomingEdges(inlineGraph, inline.nodeId).length > 1) {
      ctx.steps = await loadSteps(sql, payload.runId);
    }
  }
}
