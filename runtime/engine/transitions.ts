import { z } from 'zod';
import type { TransactionSql } from '../../db/index.ts';
import { redactSecrets } from '../../lib/index.ts';
import type { Outcome, RespondValue, StepUsage } from '../nodes/outcome.ts';
import { LIVE_RUN_LIST } from '../store/run-status.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { edgeActive, findNode, graphForPath, scopeOutput } from './graph.ts';
import { type RunRow, RunRow as RunRowSchema } from './run-context.ts';
import { childPath, parentOf } from './scope-path.ts';
import { settleOutcome } from './settle-outcome.ts';
import type { StepError } from './step-error.ts';
import { jsonParam, type StoredJson, storedParam, storedText, toStoredJson } from './stored-json.ts';
import { RUN_FAILED_TASK, WORKFLOW_FAILED_TASK } from './tasks.ts';
import {
  addCheck,
  addOutputBytes,
  enqueueJob,
  enqueueStep,
  event,
  send,
  startScope,
  type TxWork,
} from './tx-work.ts';
import { beginWait } from './wait-start.ts';

export const RUN_COLUMNS = [
  'id',
  'workflow_id',
  'version',
  'status',
  'trigger',
  'parent_run_id',
  'parent_node_id',
  'parent_path',
  'response',
  'traceparent',
  'trace_parent_id',
];

/** Locks the run row (cancel, retry, approvals). Step completions do not take it. */
export async function lockRun(tx: TransactionSql, runId: string): Promise<RunRow | undefined> {
  const [row] = await tx`select ${tx(RUN_COLUMNS)} from runs where id = ${runId} for update`;
  return row ? RunRowSchema.parse(row) : undefined;
}

const ForeachState = z.object({
  total: z.number(),
  started: z.number(),
  done: z.number(),
  concurrency: z.number(),
  /** Item indices already counted (a multi-leaf item may be settled by two workers). */
  finished: z.array(z.number()).optional(),
});

const ForeachOutputs = z.array(z.unknown());

/** A node that just became terminal in this transaction (or was queued by it). */
export type Resolved = { status: string; branch: string | null; output: unknown };

/**
 * After nodes of a scope finished: successors with one incoming edge become ready or skipped right here (only
 * this transaction can decide them); joins and multi-leaf scope ends are settled after the commit. A scope with
 * one leaf is complete when that leaf is terminal: the item (and maybe its foreach) or the run finishes.
 */
export async function advance(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
  scope: string,
  changed: Map<string, Resolved>,
): Promise<void> {
  const graph = graphForPath(document, scope);
  const queue = [...changed.keys()];
  const skipped: string[] = [];
  let complete = false;
  while (queue.length > 0) {
    const from = queue.shift() as string;
    const source = changed.get(from);
    const outgoing = graph.outgoing.get(from) ?? [];
    for (const edge of outgoing) {
      if (changed.has(edge.to)) continue;
      if ((graph.incoming.get(edge.to) ?? []).length > 1) {
        addCheck(work, { kind: 'join', runId: run.id, path: scope, nodeId: edge.to });
        continue;
      }
      if (edgeActive(edge, source)) {
        changed.set(edge.to, { status: 'queued', branch: null, output: null });
        work.ready.push({ runId: run.id, nodeId: edge.to, path: scope });
      } else {
        changed.set(edge.to, { status: 'skipped', branch: null, output: null });
        skipped.push(edge.to);
        queue.push(edge.to);
      }
    }
    if (outgoing.length === 0) {
      if (graph.leaves.length === 1) complete = true;
      else addCheck(work, { kind: 'scope', runId: run.id, path: scope });
    }
  }
  if (skipped.length > 0) {
    send(
      work,
      tx`
      insert into steps (run_id, node_id, path, status, finished_at)
      select ${run.id}, x, ${scope}, 'skipped', now() from unnest(${skipped}::text[]) as x
      on conflict do nothing`,
    );
    for (const nodeId of skipped) event(work, run.id, 'step.skipped', { nodeId, path: scope });
  }
  if (complete) await completeScope(tx, work, run, document, scope, changed);
}

/**
 * A scope finished (all its leaves terminal; `leaves` has their states): the run succeeds, or the foreach item is
 * counted (once) and, when it was the last, the foreach node succeeds and its scope moves on.
 */
export async function completeScope(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
  path: string,
  leaves: Map<string, { status: string; output: unknown }>,
): Promise<void> {
  const result = scopeOutput(graphForPath(document, path), leaves);
  if (path === '') {
    work.finish.push({ runId: run.id, output: result });
    return;
  }
  const parent = parentOf(path);
  if (!parent) return;
  const [row] = await tx`
    select state, output from steps where run_id = ${run.id} and node_id = ${parent.nodeId} and path = ${parent.parent} for update`;
  const foreach = ForeachState.parse(row?.state);
  const finishedItems = foreach.finished ?? [];
  if (finishedItems.includes(parent.index)) return;
  foreach.finished = [...finishedItems, parent.index];
  const outputs = ForeachOutputs.parse(row?.output ?? []);
  outputs[parent.index] = result;
  foreach.done += 1;
  while (foreach.started < foreach.total && foreach.started - foreach.done < foreach.concurrency) {
    startScope(work, run.id, document, childPath(parent.parent, parent.nodeId, foreach.started));
    foreach.started += 1;
  }
  const finished = foreach.done >= foreach.total;
  // Not counted against the run's output limit again: its items' outputs were, and this is made of them.
  const collected = toStoredJson(outputs);
  send(
    work,
    tx`
    update steps set state = ${storedParam(tx, foreach)}::jsonb, output = ${jsonParam(tx, collected.text)}::jsonb, output_bytes = ${collected.bytes},
      status = ${finished ? 'succeeded' : 'waiting'}, finished_at = ${finished ? new Date() : null}
    where run_id = ${run.id} and node_id = ${parent.nodeId} and path = ${parent.parent}`,
  );
  if (!finished) return;
  event(work, run.id, 'step.succeeded', { nodeId: parent.nodeId, path: parent.parent });
  await advance(
    tx,
    work,
    run,
    document,
    parent.parent,
    new Map([[parent.nodeId, { status: 'succeeded', branch: null, output: outputs }]]),
  );
}

function notifyParent(work: TxWork, run: RunRow): void {
  if (run.parentRunId && run.parentNodeId) {
    enqueueStep(work, { runId: run.parentRunId, nodeId: run.parentNodeId, path: run.parentPath ?? '' });
  }
}

export type RunFailure = { nodeId: string; path: string; input: unknown; error: StepError };

/** The run fails for good: other unfinished steps stop, and `run.failed` carries what self-healing needs. */
export async function failRun(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  failure: RunFailure,
): Promise<void> {
  const error = { ...failure.error, nodeId: failure.nodeId, path: failure.path };
  // The other steps before the run row: the order cancelRun locks them in.
  send(
    work,
    tx`
    update steps set status = 'cancelled', finished_at = now()
    where run_id = ${run.id} and status in ('queued', 'running', 'retrying') and not (node_id = ${failure.nodeId} and path = ${failure.path})`,
  );
  // Only when this statement failed the run, and never for a run a workflow.failed trigger started (no loops
  // between error-handling workflows): the job that starts the workflow.failed workflows. Its key counts the
  // run's retries, so a retried run that fails again is a new failure and a redelivery is not.
  send(
    work,
    tx`
    with failed as (
      update runs set status = 'failed', error = ${storedParam(tx, redactSecrets(error))}::jsonb, finished_at = now(), updated_at = now(),
        started_at = coalesce(started_at, now())
      where id = ${run.id} and status in ${tx(LIVE_RUN_LIST)}
      returning id, error, finished_at, trigger_type
    ), counted as (
      select failed.*, (select count(*) from run_events e where e.run_id = failed.id and e.type = 'run.retried') as retries
      from failed where trigger_type <> 'workflow.failed'
    )
    select graphile_worker.add_job(${WORKFLOW_FAILED_TASK},
        json_build_object('runId', id, 'retries', retries, 'error', error, 'failedAt', finished_at),
        job_key => 'workflow_failed:' || id || ':' || retries)
    from counted`,
  );
  enqueueJob(work, RUN_FAILED_TASK, { runId: run.id }, `run_failed:${run.id}`);
  event(work, run.id, 'run.failed', {
    workflowId: run.workflowId,
    version: run.version,
    stepId: failure.nodeId,
    path: failure.path,
    input: failure.input ?? null,
    error: failure.error,
  });
  notifyParent(work, run);
}

/** The attempt's usage for its run event (what /metrics counts: each attempt once), when it used anything. */
const usedBy = (usage: StepUsage | null) => (usage ? { usage } : {});

/** One execution to record; `output` is its outcome's output serialised and checked (see checkOutput). */
export type Executed = { nodeId: string; path: string; outcome: Outcome; output: StoredJson | null };

/**
 * Records the execution of a claimed step (and of pure steps run right after it in memory) and moves the run
 * forward, as pipelined statements of the caller's transaction. The claimed step's update is guarded by its
 * fence: the returned promise says 'fenced' when the claim is stale (the caller must roll back).
 */
export async function recordExecution(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
  claim: {
    nodeId: string;
    path: string;
    fence: number;
    attempt: number;
    /** Read, not claimed (see claimless nodes in step-task): the update itself takes the step from `queued`. */
    unclaimed?: { jobKey: string } | undefined;
  },
  executed: Executed[],
): Promise<{ owned: Promise<boolean> }> {
  const scope = claim.path;
  const changed = new Map<string, Resolved>();
  let owned: Promise<boolean> = Promise.resolve(true);
  // Every value is serialised here, before its statement exists: one that cannot be (a BigInt in an error's
  // details, say) throws in this function, and the caller's transaction rolls back as a whole.
  const jsonOrNull = (value: unknown) => storedParam(tx, value);
  // Steps run in memory after the claimed one: one multi-row insert, sent before anything that may refer to them.
  // The rows are JSON text built from serialised parts, so each output is serialised only once.
  let inserts: string[] = [];
  const sendInserts = () => {
    if (inserts.length === 0) return;
    send(
      work,
      tx`
      insert into steps (run_id, node_id, path, status, attempt, fence, branch, input, output, output_bytes, error, usage, started_at, finished_at)
      select ${run.id}, x.node_id, x.path, x.status, 1, 1, x.branch, x.input, x.output, x.output_bytes, x.error, x.usage, now(),
        case when x.terminal then now() end
      from jsonb_to_recordset(${jsonParam(tx, `[${inserts.join(',')}]`)}::jsonb)
        as x(node_id text, path text, status text, branch text, input jsonb, output jsonb, output_bytes int, error jsonb, usage jsonb, terminal boolean)
      on conflict do nothing`,
    );
    inserts = [];
  };
  for (const [index, { nodeId, path, outcome, output: stored }] of executed.entries()) {
    const first = index === 0;
    const attempt = first ? claim.attempt : 1;
    if (outcome.kind === 'pending') {
      sendInserts();
      if (outcome.requeueAt) enqueueStep(work, { runId: run.id, nodeId, path }, outcome.requeueAt);
      return { owned };
    }
    const node = findNode(graphForPath(document, path), nodeId);
    const settled = settleOutcome(outcome, node, attempt);
    const { status, branch, error, wakeAt, state, fatal } = settled;
    // Redacted (and serialised as `stored`) by checkOutput, like every output before it is recorded.
    const output = settled.output;
    const input = 'input' in outcome ? (outcome.input ?? null) : null;
    const terminal = status === 'succeeded' || status === 'failed';
    const usage = outcome.kind === 'succeeded' || outcome.kind === 'failed' ? (outcome.usage ?? null) : null;
    // settleOutcome keeps the output of a success or a wait, which checkOutput serialised.
    const storedOutput = output === null || output === undefined ? null : stored;
    if (storedOutput) addOutputBytes(work, run.id, storedOutput.bytes);
    if (first) {
      // The claimed step's update is guarded by its fence; a stale claim raises (aborting the transaction),
      // so the whole commit can be pipelined with no round trip to decide.
      const { unclaimed } = claim;
      if (unclaimed) work.markRunning.add(run.id);
      owned = Promise.resolve(
        tx`
        with updated as (
          update steps set status = ${status}, branch = ${branch}, input = ${jsonOrNull(redactSecrets(input))}::jsonb,
            output = ${jsonParam(tx, storedOutput?.text ?? null)}::jsonb, output_bytes = ${storedOutput?.bytes ?? null},
            error = ${jsonOrNull(error)}::jsonb, wake_at = ${wakeAt}, state = coalesce(${jsonOrNull(state)}::jsonb, state),
            finished_at = ${terminal ? new Date() : null}, fence = fence + ${unclaimed ? 1 : 0}, attempt = ${attempt},
            usage = vmesh_merge_step_usage(usage, ${jsonOrNull(usage)}::jsonb),
            started_at = coalesce(started_at, now()), origin_job = coalesce(${unclaimed?.jobKey ?? null}, origin_job)
          where run_id = ${run.id} and node_id = ${nodeId} and path = ${path} and fence = ${claim.fence}
            and status in ${tx(unclaimed ? ['queued'] : ['running', 'waiting'])}
          returning node_id
        )
        select case when count(*) = 0 then ('fenced:' || count(*)::text)::int else 1 end as owned from updated`,
      ).then(
        () => true,
        (failure: unknown) => {
          if (failure instanceof Error && failure.message.includes('"fenced:')) return false;
          throw failure;
        },
      );
      send(work, owned);
      work.fence = owned;
    } else {
      const row = storedText({
        node_id: nodeId,
        path,
        status,
        branch,
        input: redactSecrets(input) ?? null,
        output_bytes: storedOutput?.bytes ?? null,
        error,
        usage,
        terminal,
      });
      // The serialised output goes in as is (the row's object ends with "}").
      inserts.push(`${row.slice(0, -1)},"output":${storedOutput?.text ?? 'null'}}`);
    }
    if (status === 'succeeded') {
      if (outcome.kind === 'succeeded' && outcome.respond) recordResponse(tx, work, run, outcome.respond);
      event(work, run.id, 'step.succeeded', { nodeId, path, attempt, ...usedBy(usage) });
      changed.set(nodeId, { status, branch, output });
    } else if (status === 'retrying') {
      event(work, run.id, 'step.retrying', {
        nodeId,
        path,
        attempt,
        error,
        retryAt: wakeAt?.toISOString(),
        ...usedBy(usage),
      });
      enqueueStep(work, { runId: run.id, nodeId, path }, wakeAt ?? undefined);
    } else if (status === 'failed') {
      event(work, run.id, 'step.failed', { nodeId, path, attempt, error, ...usedBy(usage) });
      if (fatal) {
        sendInserts();
        await failRun(tx, work, run, { nodeId, path, input, error: error as StepError });
        return { owned };
      }
      changed.set(nodeId, { status, branch, output });
    } else if (outcome.kind === 'wait') {
      sendInserts();
      await beginWait(tx, work, run, document, node, { nodeId, path }, outcome.wait);
    }
  }
  sendInserts();
  if (changed.size > 0) await advance(tx, work, run, document, scope, changed);
  return { owned };
}

function recordResponse(tx: TransactionSql, work: TxWork, run: RunRow, respond: RespondValue): void {
  send(
    work,
    tx`update runs set response = ${storedParam(tx, redactSecrets(respond))}::jsonb, updated_at = now() where id = ${run.id}`,
  );
  event(work, run.id, 'run.responded', { status: respond.status });
}
