import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { AppError } from '../../lib/index.ts';
import type { CoreNodeDefinition, ResumeCall } from '../nodes/define-core-node.ts';
import {
  CLAIMLESS_CORE_NODES,
  findCoreNode,
  INLINE_CORE_NODES,
  SANDBOXED_CORE_NODES,
} from '../nodes/index.ts';
import type { Outcome } from '../nodes/outcome.ts';
import {
  LIVE_RUN,
  LIVE_RUN_LIST,
  RunStatus,
  STEP_TERMINAL,
  STEP_TERMINAL_LIST,
  StepStatus,
} from '../store/run-status.ts';
import { loadDocument } from '../store/workflow-store.ts';
import type { WorkflowNode } from '../workflow/document.ts';
import { runAgentStep } from './agent-step.ts';
import { commitStep } from './commit-batch.ts';
import { edgeActive, findNode, graphForPath, incomingEdges, visibleSteps } from './graph.ts';
import { type NodeRunnerDeps, runNode, type Yielded } from './node-runner.ts';
import { checkOutput, currentOutputLimits, runOutputTooLarge } from './output-limits.ts';
import { loadStepsFor, type RunContext } from './run-context.ts';
import { deferStep, wakeWorkersAfter, yieldStep } from './run-slots.ts';
import { DEFAULT_SANDBOX_LIMITS, sandboxHasRoom } from './sandbox.ts';
import { jobKeyFor, stepKey } from './scope-path.ts';
import { type Claim, claimOrphan, claimWithContext, peekWithContext, StepRef } from './step-claim.ts';
import { toStepError } from './step-error.ts';
import type { StepJobPayload } from './tasks.ts';
import { advance, completeScope, type Executed, recordExecution } from './transitions.ts';
import { event, flushWork, insertReady, newWork, type SettleCheck } from './tx-work.ts';

/** Most steps one job runs and commits together (its own and the pure successors it runs in memory). */
const MAX_BATCH = 128;

// Schemas live at module level: zod compiles each object schema on its first parse, so an inline schema in a
// per-job path would be compiled again for every job.
const SettleRow = z.object({
  nodeId: z.string(),
  status: StepStatus,
  branch: z.string().nullable(),
  output: z.unknown(),
});

// Module-level schemas: zod compiles an object schema on its first parse; an inline one would recompile per job.
const ApprovalRow = z
  .object({
    id: z.string(),
    status: z.string(),
    decidedBy: z.string().nullable(),
    comment: z.string().nullable(),
  })
  .optional();
const ChildRunRow = z.object({ status: RunStatus, output: z.unknown(), error: z.unknown() }).optional();
const WaitTokenRow = z
  .object({
    outcome: z.enum(['resumed', 'timeout']).nullable(),
    body: z.unknown(),
    expiresAt: z.date().nullable(),
  })
  .optional();

/**
 * A core.wait step's token. Past its expiry and never called, it is settled as timed out first, in one statement
 * that waits for (and then yields to) a call committing at the same moment: a call and a timeout never both win.
 */
async function resumeCall(
  sql: Sql,
  step: { runId: string; nodeId: string; path: string },
): Promise<ResumeCall | undefined> {
  await sql`
    update wait_tokens set outcome = 'timeout', used_at = clock_timestamp()
    where run_id = ${step.runId} and node_id = ${step.nodeId} and path = ${step.path}
      and outcome is null and expires_at <= clock_timestamp()`;
  const [row] = await sql`
    select outcome, body, expires_at from wait_tokens
    where run_id = ${step.runId} and node_id = ${step.nodeId} and path = ${step.path}`;
  const token = WaitTokenRow.parse(row);
  if (!token) return undefined;
  if (token.outcome === 'resumed') return { status: 'resumed', body: token.body ?? null };
  if (token.outcome === 'timeout') return { status: 'timeout' };
  return { status: 'waiting', expiresAt: token.expiresAt };
}

/** A waiting step's job ran: has what it waits for happened? Its node's `resume` says. */
async function resume(
  deps: NodeRunnerDeps,
  ctx: RunContext,
  node: WorkflowNode,
  claim: Claim,
  signal: AbortSignal,
): Promise<Outcome> {
  const core = findCoreNode(node.uses);
  if (!core?.resume) return { kind: 'pending' };
  try {
    return await resumeWith(core.resume, deps, ctx, node, claim, signal);
  } catch (error) {
    // A step failure (core.agent's loop, resumed by an approval, ran past a budget): the step fails as in a run.
    // Anything else (the database) fails the job, which graphile-worker retries.
    if (error instanceof AppError) return { kind: 'failed', input: null, error: toStepError(error) };
    throw error;
  }
}

function resumeWith(
  run: NonNullable<CoreNodeDefinition['resume']>,
  deps: NodeRunnerDeps,
  ctx: RunContext,
  node: WorkflowNode,
  claim: Claim,
  signal: AbortSignal,
): Promise<Outcome> {
  const { sql } = deps;
  return run({
    node,
    wakeAt: claim.wakeAt,
    state: claim.state,
    approval: async () => {
      const [row] = await sql`
        select id, status, decided_by, comment from approvals where run_id = ${ctx.run.id} and node_id = ${node.id} and path = ${claim.path}`;
      return ApprovalRow.parse(row);
    },
    childRun: async (runId) => {
      const [row] = await sql`select status, output, error from runs where id = ${runId}`;
      const child = ChildRunRow.parse(row);
      return child && { ...child, live: LIVE_RUN.has(child.status) };
    },
    resumeCall: () => resumeCall(sql, { runId: ctx.run.id, nodeId: node.id, path: claim.path }),
    routes: (branch) =>
      (graphForPath(ctx.document, claim.path).outgoing.get(node.id) ?? []).some(
        (edge) => edge.branch === branch,
      ),
    runAgent: (input, approval) =>
      runAgentStep({ deps, ctx, node, path: claim.path, attempt: claim.attempt, signal }, input, approval),
  });
}

/**
 * The successors this node makes ready that can run in memory in this job: each is a pure core node whose only
 * incoming edge is an active edge from this node (a chain, or the branches of a fan-out). Others are queued.
 */
function pureSuccessors(ctx: RunContext, node: WorkflowNode, path: string, outcome: Outcome): WorkflowNode[] {
  if (outcome.kind !== 'succeeded' || outcome.respond) return [];
  const graph = graphForPath(ctx.document, path);
  const resolved = { status: 'succeeded', branch: outcome.branch ?? null };
  const next: WorkflowNode[] = [];
  for (const edge of graph.outgoing.get(node.id) ?? []) {
    if (!edgeActive(edge, resolved) || incomingEdges(graph, edge.to).length !== 1) continue;
    const target = findNode(graph, edge.to);
    if (INLINE_CORE_NODES.has(target.uses)) next.push(target);
  }
  return next;
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
 * this worker. Joins and multi-leaf scope ends are settled after the commit (see SettleCheck). A job whose
 * step is already finished re-runs those settle checks (its worker may have died right after the commit) and
 * otherwise does nothing.
 */
export async function runStepJob(
  deps: NodeRunnerDeps,
  payload: StepJobPayload,
  jobKey: string | null,
  signal: AbortSignal,
): Promise<void> {
  const { sql } = deps;
  const key = jobKey ?? jobKeyFor(payload.runId, payload.nodeId, payload.path);
  const hinted = payload.wf && payload.v ? await loadDocument(sql, payload.wf, payload.v) : undefined;
  const visible = hinted
    ? visibleSteps(hinted, payload.nodeId, payload.path)
    : { nodeIds: [] as string[], paths: [] as string[] };
  const uses = hinted ? findNode(graphForPath(hinted, payload.path), payload.nodeId).uses : undefined;
  // A sandboxed step while every sandbox process is busy: back to the queue before claiming anything.
  if (
    uses &&
    SANDBOXED_CORE_NODES.has(uses) &&
    !sandboxHasRoom({ ...DEFAULT_SANDBOX_LIMITS, ...deps.sandbox })
  )
    return deferStep(sql, payload, jobKey);
  const claimless = uses ? CLAIMLESS_CORE_NODES.has(uses) : false;
  let first = claimless
    ? await peekWithContext(sql, {
        runId: payload.runId,
        nodeId: payload.nodeId,
        path: payload.path,
        jobKey: key,
        visible,
      })
    : undefined;
  if (!first?.claim || !first.run || first.run.workflowId !== payload.wf || first.run.version !== payload.v)
    first = await claimWithContext(sql, payload, key, visible);
  const run = first.run;
  if (!run) return;
  const document =
    hinted && payload.wf === run.workflowId && payload.v === run.version
      ? hinted
      : await loadDocument(sql, run.workflowId, run.version);
  const ctx: RunContext = { run, document, steps: first.steps };
  let claim = first.claim;
  if (claim && document !== hinted) {
    ctx.steps = await loadStepsFor(sql, run.id, document, claim.nodeId, claim.path);
  }
  if (!claim) {
    claim = await claimOrphan(sql, payload.runId, key);
    if (claim) {
      ctx.steps = await loadStepsFor(sql, run.id, document, claim.nodeId, claim.path);
    } else {
      await resettle(sql, ctx, payload, key);
      return;
    }
  }
  const hint = { wf: run.workflowId, v: run.version };
  while (claim) {
    const current: Claim = claim;
    const graph = graphForPath(ctx.document, current.path);
    const node = findNode(graph, current.nodeId);
    let outcome: Outcome | Yielded;
    const maxAttempts = node.retry?.maxAttempts ?? 3;
    if (current.previous === 'waiting') {
      outcome = await resume(deps, ctx, node, current, signal);
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
    if (outcome.kind === 'yield') {
      // Every sandbox process is busy, or the credential's rate budget is empty: the step goes back to the queue
      // (until its token is due) and this job's slot to another job.
      const own = current.nodeId === payload.nodeId && current.path === payload.path;
      await yieldStep(
        sql,
        { runId: run.id, nodeId: current.nodeId, path: current.path, fence: current.fence },
        { ...payload, ...hint, deferred: own ? payload.deferred : undefined },
        outcome.delayMs !== undefined && outcome.credential
          ? { delayMs: outcome.delayMs, credential: outcome.credential }
          : undefined,
      );
      if (outcome.delayMs !== undefined) wakeWorkersAfter(sql, outcome.delayMs);
      return;
    }
    // Outputs are serialised and checked against the step limit before anything reads or records them.
    const limits = currentOutputLimits();
    const checked = checkOutput(node.id, outcome, limits);
    let executed: Executed[] = [{ nodeId: node.id, path: current.path, ...checked }];
    remember(ctx, node.id, current.path, checked.outcome);
    // Pure successors (a chain or a fan-out's branches) run here and commit with this step; past MAX_BATCH the
    // rest are queued as jobs by the commit (advance skips only the nodes recorded in it).
    const pending = pureSuccessors(ctx, node, current.path, checked.outcome);
    for (let next = pending.shift(); next && executed.length < MAX_BATCH; next = pending.shift()) {
      const ran = await runNode(deps, ctx, next, current.path, 1, signal);
      // Not run (the sandbox is busy): the commit queues it as a job like any other ready successor.
      if (ran.kind === 'yield') continue;
      const result = checkOutput(next.id, ran, limits);
      executed.push({ nodeId: next.id, path: current.path, ...result });
      remember(ctx, next.id, current.path, result.outcome);
      pending.push(...pureSuccessors(ctx, next, current.path, result.outcome));
    }
    let checks: SettleCheck[] = [];
    const commit = () =>
      commitStep(sql, { runId: ctx.run.id, nodeId: current.nodeId, path: current.path }, async (tx, work) => {
        work.hint = hint;
        const before = work.checks.length;
        const { owned } = await recordExecution(tx, work, ctx.run, ctx.document, current, executed);
        const next = insertReady(tx, work, { runId: ctx.run.id, jobKey: key });
        checks = work.checks.slice(before);
        return { owned, result: next.then((inline) => ({ inline })) };
      });
    let committed = await commit();
    if (committed === 'capped') {
      // The run's outputs would pass its limit: nothing committed; the claimed step fails instead.
      const input = 'input' in checked.outcome ? (checked.outcome.input ?? null) : null;
      const error = toStepError(runOutputTooLarge(node.id, limits.runBytes));
      // What successors would read of these steps was never stored.
      for (const step of executed) ctx.steps.delete(stepKey(step.nodeId, step.path));
      executed = [
        { nodeId: node.id, path: current.path, outcome: { kind: 'failed', input, error }, output: null },
      ];
      committed = await commit();
    }
    if (committed === 'fenced' || committed === 'capped') return;
    let inline = committed.inline;
    if (!inline && checks.length > 0) inline = await settle(sql, ctx, checks, key);
    if (!inline) return;
    claim = { ...inline, attempt: 1, previous: 'queued', state: null, wakeAt: null };
    const inlineGraph = graphForPath(ctx.document, inline.path);
    if (inline.path !== current.path || incomingEdges(inlineGraph, inline.nodeId).length > 1) {
      ctx.steps = await loadStepsFor(sql, ctx.run.id, ctx.document, inline.nodeId, inline.path);
    }
  }
}

/**
 * Runs settle checks after a commit. A join whose inputs are all terminal starts once (ledger key); when
 * `inlineKey` is given and the join is ready, this worker claims it and the caller runs it without a queue hop.
 */
export async function settle(
  sql: Sql,
  ctx: RunContext,
  checks: SettleCheck[],
  inlineKey?: string,
): Promise<{ nodeId: string; path: string; fence: number } | undefined> {
  let inline: { nodeId: string; path: string; fence: number } | undefined;
  const queue = [...checks];
  for (let check = queue.shift(); check; check = queue.shift()) {
    const graph = graphForPath(ctx.document, check.path);
    const sources =
      check.kind === 'join'
        ? (graph.incoming.get(check.nodeId) ?? []).map((edge) => edge.from)
        : graph.leaves;
    const rows = await sql`
      select node_id, status, branch, output from steps
      where run_id = ${ctx.run.id} and path = ${check.path} and node_id = any(${sources})`;
    const states = new Map<string, { status: string; branch: string | null; output: unknown }>();
    for (const row of rows) {
      const parsed = SettleRow.parse(row);
      states.set(parsed.nodeId, {
        status: parsed.status,
        branch: parsed.branch,
        output: parsed.output ?? null,
      });
    }
    if (!sources.every((source) => STEP_TERMINAL.has(states.get(source)?.status ?? ''))) continue;
    if (check.kind === 'join') {
      const active = (graph.incoming.get(check.nodeId) ?? []).some((edge) =>
        edgeActive(edge, states.get(edge.from)),
      );
      if (active && inlineKey && !inline) {
        const [row] = await sql`
          insert into steps (run_id, node_id, path, status, attempt, fence, origin_job, started_at)
          select ${ctx.run.id}, ${check.nodeId}, ${check.path}, 'running', 1, 1, ${inlineKey}, now()
          where exists (select 1 from runs where id = ${ctx.run.id} and status in ${sql(LIVE_RUN_LIST)})
          on conflict do nothing returning node_id`;
        if (row) inline = { nodeId: check.nodeId, path: check.path, fence: 1 };
        continue;
      }
    }
    const more = await sql.begin(async (tx) => {
      const work = newWork({ wf: ctx.run.workflowId, v: ctx.run.version });
      if (check.kind === 'scope') {
        await completeScope(tx, work, ctx.run, ctx.document, check.path, states);
      } else if (
        (graph.incoming.get(check.nodeId) ?? []).some((edge) => edgeActive(edge, states.get(edge.from)))
      ) {
        work.ready.push({ runId: ctx.run.id, nodeId: check.nodeId, path: check.path });
      } else {
        const inserted = await tx`
          insert into steps (run_id, node_id, path, status, finished_at)
          values (${ctx.run.id}, ${check.nodeId}, ${check.path}, 'skipped', now())
          on conflict do nothing returning node_id`;
        if (inserted.length > 0) {
          event(work, ctx.run.id, 'step.skipped', { nodeId: check.nodeId, path: check.path });
          await advance(
            tx,
            work,
            ctx.run,
            ctx.document,
            check.path,
            new Map([[check.nodeId, { status: 'skipped', branch: null, output: null }]]),
          );
        }
      }
      void insertReady(tx, work);
      await flushWork(tx, work);
      return work.checks;
    });
    queue.push(...more);
  }
  return inline;
}

/**
 * A job found its step already finished: maybe its worker died between the commit and the settle checks.
 * Re-derives the checks of the steps this job recorded (its own and those it ran inline) and runs them.
 */
async function resettle(sql: Sql, ctx: RunContext, payload: StepJobPayload, jobKey: string): Promise<void> {
  const rows = await sql`
    select node_id, path from steps
    where run_id = ${ctx.run.id} and status in ${sql(STEP_TERMINAL_LIST)}
      and ((node_id = ${payload.nodeId} and path = ${payload.path}) or origin_job = ${jobKey})`;
  const checks: SettleCheck[] = [];
  for (const row of rows) {
    const step = StepRef.parse(row);
    const graph = graphForPath(ctx.document, step.path);
    const outgoing = graph.outgoing.get(step.nodeId) ?? [];
    for (const edge of outgoing) {
      if ((graph.incoming.get(edge.to) ?? []).length > 1)
        checks.push({ kind: 'join', runId: ctx.run.id, path: step.path, nodeId: edge.to });
    }
    if (outgoing.length === 0 && graph.leaves.length > 1)
      checks.push({ kind: 'scope', runId: ctx.run.id, path: step.path });
  }
  if (checks.length > 0) await settle(sql, ctx, checks);
}
