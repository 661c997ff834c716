import { z } from 'zod';
import type { Sql } from '../../db/index.ts';
import { AppError } from '../../lib/errors.ts';
import type { WorkflowNode } from '../workflow/document.ts';
import { batcherPer, createBatcher } from './batcher.ts';
import { commitStep } from './commit-batch.ts';
import {
  edgeActive,
  findNode,
  graphForPath,
  incomingEdges,
  LIVE_RUN,
  TERMINAL,
  visibleSteps,
} from './graph.ts';
import { type NodeRunnerDeps, PURE_CORE_NODES, runNode } from './node-runner.ts';
import type { Outcome } from './outcome.ts';
import { loadDocument, loadStepsFor, type RunContext, RunRow, StepRow } from './run-context.ts';
import { jobKeyFor, stepKey } from './scope-path.ts';
import { toStepError } from './step-error.ts';
import {
  advance,
  completeScope,
  type Executed,
  event,
  flushWork,
  insertReady,
  newWork,
  recordExecution,
  type SettleCheck,
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
  /** Read without claiming: the commit takes the step from `queued` (see CLAIMLESS_NODES). */
  unclaimed?: { jobKey: string } | undefined;
};

/**
 * Nodes whose queued step is only read before it runs, not claimed in a transaction of its own: they run in
 * microseconds with no effect outside the transaction that records them (JSONata is time-boxed), so the commit's
 * compare-and-set on the step's fence and `queued` status is the claim. Losing that race rolls back; running such
 * a step twice cannot be seen. (core.code stays claimed: it may run for its whole CPU budget, shown as running.)
 */
const CLAIMLESS_NODES: ReadonlySet<string> = new Set([
  'core.transform',
  'core.if',
  'core.switch',
  'core.merge',
  'core.respond',
]);

/** Most steps one job runs and commits together (its own and the pure successors it runs in memory). */
const MAX_BATCH = 128;

const LIVE = ['queued', 'running', 'waiting'];

// Schemas live at module level: zod compiles each object schema on its first parse, so an inline schema in a
// per-job path would be compiled again for every job.
const StepRows = z.array(StepRow);
const StepRef = z.object({ nodeId: z.string(), path: z.string() });
const ChildState = z.object({ childRunId: z.string() });
const SettleRow = z.object({
  nodeId: z.string(),
  status: z.string(),
  branch: z.string().nullable(),
  output: z.unknown(),
});

const ClaimJson = z.object({
  previous: z.string(),
  fence: z.coerce.number(),
  attempt: z.number(),
  state: z.unknown(),
  wakeAt: z.string().nullable(),
});

/**
 * One round trip: claims the step (bumping its fence) if its run is live, marks a queued run running, and
 * returns the run row with the steps the node can read (when the version hint lets us know them up front).
 */
async function claimWithContext(
  sql: Sql,
  step: { runId: string; nodeId: string; path: string },
  jobKey: string,
  visible: { nodeIds: string[]; paths: string[] },
): Promise<{ run: RunRow | undefined; claim: Claim | undefined; steps: Map<string, StepRow> }> {
  const { runId, nodeId, path } = step;
  const [row] = await sql`
    with live as (
      select id, workflow_id, version, status, trigger, parent_run_id, parent_node_id, parent_path, response
      from runs where id = ${runId} and status in ${sql(LIVE)}
    ), current as (
      select s.status from steps s where s.run_id = ${runId} and s.node_id = ${nodeId} and s.path = ${path}
        and exists (select 1 from live) for update
    ), claimed as (
      update steps s set
        fence = s.fence + 1,
        status = case when current.status = 'waiting' then 'waiting' else 'running' end,
        attempt = case when current.status = 'waiting' then s.attempt else s.attempt + 1 end,
        started_at = coalesce(s.started_at, now()),
        origin_job = ${jobKey}
      from current
      where s.run_id = ${runId} and s.node_id = ${nodeId} and s.path = ${path}
        and current.status in ('queued', 'running', 'retrying', 'waiting')
      returning current.status as previous, s.fence, s.attempt, s.state, s.wake_at
    ), started as (
      update runs set status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
      where id = ${runId} and status = 'queued' and exists (select 1 from claimed)
    )
    select
      (select json_build_object('id', id, 'workflowId', workflow_id, 'version', version, 'status', status,
        'trigger', trigger, 'parentRunId', parent_run_id, 'parentNodeId', parent_node_id, 'parentPath', parent_path,
        'response', response) from live) as run,
      (select json_build_object('previous', previous, 'fence', fence, 'attempt', attempt, 'state', state,
        'wakeAt', wake_at) from claimed) as claim,
      (select coalesce(json_agg(json_build_object('nodeId', node_id, 'path', path, 'status', status,
        'branch', branch, 'input', input, 'output', output)), '[]'::json)
        from steps where run_id = ${runId}
          and (node_id, path) in (select * from unnest(${visible.nodeIds}::text[], ${visible.paths}::text[]))) as steps`;
  return parseContext(row, { nodeId, path });
}

type PeekRequest = {
  runId: string;
  nodeId: string;
  path: string;
  jobKey: string;
  visible: { nodeIds: string[]; paths: string[] };
};
type StepContext = { run: RunRow | undefined; claim: Claim | undefined; steps: Map<string, StepRow> };

/** Most step reads one statement serves. */
const MAX_PEEK_BATCH = 64;

const peekBatched = batcherPer((sql: Sql) =>
  createBatcher((requests: PeekRequest[]) => peekMany(sql, requests), MAX_PEEK_BATCH),
);

/**
 * claimWithContext without the claim, for a step of a CLAIMLESS_NODES node: a read (shared with the reads other
 * jobs of this worker need at the same moment). The claim it returns is unclaimed, or undefined unless the step
 * is `queued` (then the caller claims as usual).
 */
function peekWithContext(sql: Sql, request: PeekRequest): Promise<StepContext> {
  return peekBatched(sql, request);
}

async function peekMany(sql: Sql, requests: PeekRequest[]): Promise<PromiseSettledResult<StepContext>[]> {
  const input = requests.map((request, index) => ({
    i: index,
    run_id: request.runId,
    node_id: request.nodeId,
    path: request.path,
    visible: request.visible.nodeIds.map((nodeId, at) => [nodeId, request.visible.paths[at]]),
  }));
  const rows = await sql`
    select x.i,
      (select json_build_object('id', r.id, 'workflowId', r.workflow_id, 'version', r.version, 'status', r.status,
        'trigger', r.trigger, 'parentRunId', r.parent_run_id, 'parentNodeId', r.parent_node_id,
        'parentPath', r.parent_path, 'response', r.response)
        from runs r where r.id = x.run_id and r.status in ${sql(LIVE)}) as run,
      (select json_build_object('previous', s.status, 'fence', s.fence, 'attempt', s.attempt + 1, 'state', s.state,
        'wakeAt', s.wake_at) from steps s
        where s.run_id = x.run_id and s.node_id = x.node_id and s.path = x.path and s.status = 'queued') as claim,
      (select coalesce(json_agg(json_build_object('nodeId', s.node_id, 'path', s.path, 'status', s.status,
        'branch', s.branch, 'input', s.input, 'output', s.output)), '[]'::json)
        from steps s where s.run_id = x.run_id
          and (s.node_id, s.path) in (select e->>0, e->>1 from jsonb_array_elements(x.visible) e)) as steps
    from jsonb_to_recordset(${sql.json(input as never)}::jsonb) as x(i int, run_id text, node_id text, path text, visible jsonb)`;
  const byIndex = new Map(rows.map((row) => [Number(row.i), row]));
  return requests.map((request, index) => {
    try {
      const row = byIndex.get(index);
      // A claim is only usable while its run is live (the run's status is checked again by the commit's guards).
      const context = parseContext(row?.run ? row : undefined, request, { jobKey: request.jobKey });
      return { status: 'fulfilled', value: context };
    } catch (error) {
      return { status: 'rejected', reason: error };
    }
  });
}

function parseContext(
  row: Record<string, unknown> | undefined,
  step: { nodeId: string; path: string },
  unclaimed?: { jobKey: string },
): StepContext {
  const run = row?.run ? RunRow.parse(row.run) : undefined;
  const parsed = row?.claim ? ClaimJson.parse(row.claim) : undefined;
  const claim = parsed
    ? {
        ...step,
        previous: parsed.previous,
        fence: parsed.fence,
        attempt: parsed.attempt,
        state: parsed.state,
        wakeAt: parsed.wakeAt ? new Date(parsed.wakeAt) : null,
        unclaimed,
      }
    : undefined;
  const steps = new Map<string, StepRow>();
  for (const entry of StepRows.parse(row?.steps ?? [])) steps.set(stepKey(entry.nodeId, entry.path), entry);
  return { run, claim, steps };
}

async function claimStep(
  sql: Sql,
  runId: string,
  nodeId: string,
  path: string,
  jobKey: string,
): Promise<Claim | undefined> {
  return (await claimWithContext(sql, { runId, nodeId, path }, jobKey, { nodeIds: [], paths: [] })).claim;
}

/** A job whose own step is done may still own a step it started inline before the worker died: resume that. */
async function claimOrphan(sql: Sql, runId: string, jobKey: string): Promise<Claim | undefined> {
  const [row] = await sql`
    select node_id, path from steps where run_id = ${runId} and origin_job = ${jobKey} and status = 'running' limit 1`;
  if (!row) return undefined;
  const orphan = StepRef.parse(row);
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
      const childRunId = ChildState.safeParse(claim.state);
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
    if (PURE_CORE_NODES.has(target.uses)) next.push(target);
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
  const claimless = hinted
    ? CLAIMLESS_NODES.has(findNode(graphForPath(hinted, payload.path), payload.nodeId).uses)
    : false;
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
    // Pure successors (a chain or a fan-out's branches) run here and commit with this step; past MAX_BATCH the
    // rest are queued as jobs by the commit (advance skips only the nodes recorded in it).
    const pending = pureSuccessors(ctx, node, current.path, outcome);
    for (let next = pending.shift(); next && executed.length < MAX_BATCH; next = pending.shift()) {
      const result = await runNode(deps, ctx, next, current.path, 1, signal);
      executed.push({ nodeId: next.id, path: current.path, outcome: result });
      remember(ctx, next.id, current.path, result);
      pending.push(...pureSuccessors(ctx, next, current.path, result));
    }
    let checks: SettleCheck[] = [];
    const committed = await commitStep(sql, async (tx, work) => {
      work.hint = hint;
      const before = work.checks.length;
      const { owned } = await recordExecution(tx, work, ctx.run, ctx.document, current, executed);
      const next = insertReady(tx, work, { runId: ctx.run.id, jobKey: key });
      checks = work.checks.slice(before);
      return { owned, result: next.then((inline) => ({ inline })) };
    });
    if (committed === 'fenced') return;
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
    if (!sources.every((source) => TERMINAL.has(states.get(source)?.status ?? ''))) continue;
    if (check.kind === 'join') {
      const active = (graph.incoming.get(check.nodeId) ?? []).some((edge) =>
        edgeActive(edge, states.get(edge.from)),
      );
      if (active && inlineKey && !inline) {
        const [row] = await sql`
          insert into steps (run_id, node_id, path, status, attempt, fence, origin_job, started_at)
          select ${ctx.run.id}, ${check.nodeId}, ${check.path}, 'running', 1, 1, ${inlineKey}, now()
          where exists (select 1 from runs where id = ${ctx.run.id} and status in ${sql(LIVE)})
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
    where run_id = ${ctx.run.id} and status in ('succeeded', 'failed', 'skipped')
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
