import { z } from 'zod';
import type { Sql, TransactionSql } from '../../db/index.ts';
import { redactSecrets } from '../../lib/redact.ts';
import { findCoreNode } from '../nodes/index.ts';
import type { Outcome, RespondValue } from '../nodes/outcome.ts';
import { newId } from '../store/ids.ts';
import type { WorkflowDocument, WorkflowNode } from '../workflow/document.ts';
import { createRunInTx, resolveWorkflowRef } from './create-run.ts';
import { edgeActive, findNode, graphForPath, scopeOutput, startNodes } from './graph.ts';
import { loadDocument, type RunRow, RunRow as RunRowSchema } from './run-context.ts';
import { childPath, jobKeyFor, parentOf } from './scope-path.ts';
import { backoffDelayMs, type StepError } from './step-error.ts';

export const STEP_TASK = 'vmesh_step';
/**
 * Enqueued (job key `run_failed:<runId>`) in the transaction that fails a run for good: self-healing handles it
 * in the app's worker (agent/run-failed-task.ts), at once, and graphile-worker retries it if handling fails.
 */
export const RUN_FAILED_TASK = 'vmesh_run_failed';
export const StepJobPayload = z.object({
  runId: z.string().min(1),
  nodeId: z.string().min(1),
  path: z.string(),
  /** Hints (checked against the run row): which workflow version the run uses, so the step's inputs load in the claim. */
  wf: z.string().nullish(),
  v: z.number().int().nullish(),
});
export type StepJobPayload = z.infer<typeof StepJobPayload>;

/**
 * A decision that needs what *other* transactions committed: a node with several incoming edges (a join), or
 * the end of a scope with several leaves. It runs after the commit, so the last of concurrent finishers sees
 * every input; the ledger's unique key (run, node, path) makes the join start exactly once.
 */
export type SettleCheck =
  | { kind: 'join'; runId: string; path: string; nodeId: string }
  | { kind: 'scope'; runId: string; path: string };

/** Everything one transaction decides; written at its end in a few pipelined statements. */
export type TxWork = {
  events: { run_id: string; type: string; payload: unknown }[];
  jobs: Map<string, { identifier: string; payload: unknown; run_at: string | null; job_key: string }>;
  ready: StepJobPayload[];
  notify: Set<string>;
  checks: SettleCheck[];
  /** Runs that succeeded (guarded by their status, so a run finishes once). */
  finish: { runId: string; output: unknown }[];
  /** Statements already sent (pipelined), awaited by flushWork. */
  pending: Promise<unknown>[];
  /** Workflow version hint put into step job payloads. */
  hint?: { wf: string; v: number } | undefined;
  /** Queued runs whose first step this transaction records without an earlier claim: they become running. */
  markRunning: Set<string>;
};

export function newWork(hint?: { wf: string; v: number }): TxWork {
  return {
    events: [],
    jobs: new Map(),
    ready: [],
    notify: new Set(),
    checks: [],
    pending: [],
    hint,
    finish: [],
    markRunning: new Set(),
  };
}

/** Sends a statement now without waiting for it (pipelining); flushWork awaits it. */
export function send(work: TxWork, query: PromiseLike<unknown>): void {
  const promise = Promise.resolve(query);
  promise.catch(() => {});
  work.pending.push(promise);
}

export function addCheck(work: TxWork, check: SettleCheck): void {
  const same = work.checks.some(
    (other) =>
      other.kind === check.kind &&
      other.runId === check.runId &&
      other.path === check.path &&
      (other.kind === 'scope' || check.kind === 'scope' || other.nodeId === check.nodeId),
  );
  if (!same) work.checks.push(check);
}

export function event(
  work: TxWork,
  runId: string,
  type: string,
  payload: Record<string, unknown> = {},
): void {
  work.events.push({ run_id: runId, type, payload: redactSecrets(payload) });
  work.notify.add(runId);
}

export function enqueueStep(work: TxWork, step: StepJobPayload, runAt?: Date): void {
  const key = jobKeyFor(step.runId, step.nodeId, step.path);
  work.jobs.set(key, {
    identifier: STEP_TASK,
    payload: { runId: step.runId, nodeId: step.nodeId, path: step.path, ...(work.hint ?? {}) },
    run_at: runAt ? runAt.toISOString() : null,
    job_key: key,
  });
}

export function enqueueJob(
  work: TxWork,
  identifier: string,
  payload: unknown,
  jobKey: string,
  runAt?: Date,
): void {
  work.jobs.set(jobKey, { identifier, payload, run_at: runAt ? runAt.toISOString() : null, job_key: jobKey });
}

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
];

/** Locks the run row (cancel, retry, approvals). Step completions do not take it. */
export async function lockRun(tx: TransactionSql, runId: string): Promise<RunRow | undefined> {
  const [row] = await tx`select ${tx(RUN_COLUMNS)} from runs where id = ${runId} for update`;
  return row ? RunRowSchema.parse(row) : undefined;
}

/**
 * Runs `record` in a transaction whose statements, BEGIN and COMMIT are all pipelined on one reserved
 * connection: one network round trip unless `record` itself waits for a read. Any failing statement aborts the
 * transaction (COMMIT then rolls back) and is rethrown.
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  record: (tx: TransactionSql) => Promise<{ flushed: Promise<void>; result: Promise<T> }>,
): Promise<T> {
  const connection = await sql.reserve();
  let abandoned = false;
  try {
    const tx = connection as unknown as TransactionSql;
    const begin = Promise.resolve(tx`begin`);
    begin.catch(() => {});
    let recorded: { flushed: Promise<void>; result: Promise<T> };
    try {
      recorded = await record(tx);
    } catch (error) {
      await Promise.allSettled([begin, tx`rollback`]);
      throw error;
    }
    const commit = Promise.resolve(tx`commit`);
    const settled = Promise.allSettled([begin, recorded.flushed, commit, recorded.result]);
    const deadline = wait(COMMIT_TIMEOUT_MS);
    const first = await Promise.race([
      settled.then((outcomes) => ({ outcomes })),
      firstRejection([begin, recorded.flushed, recorded.result]).catch((error: unknown) => ({ error })),
      deadline.then(() => ({ timeout: true as const })),
    ]).finally(deadline.cancel);
    if ('timeout' in first) {
      abandoned = true;
      throw new Error(`The database did not answer COMMIT within ${COMMIT_TIMEOUT_MS} ms.`);
    }
    if ('error' in first) {
      // The transaction failed. A live connection answers its COMMIT (a rollback) at once, and must not go back
      // to the pool before that: statements it still holds would otherwise never be sent. After a lost
      // connection no answer comes (statements written to a dead socket are never answered): do not wait for
      // good — every step commit queued behind this one would wait too — and leave the connection to the driver.
      const grace = wait(ROLLBACK_GRACE_MS);
      abandoned = !(await Promise.race([settled.then(() => true), grace.then(() => false)]).finally(
        grace.cancel,
      ));
      throw first.error;
    }
    const [began, flushed, committed, result] = first.outcomes;
    for (const outcome of [began, flushed, committed, result])
      if (outcome.status === 'rejected') throw outcome.reason;
    return (result as PromiseFulfilledResult<T>).value;
  } finally {
    if (!abandoned) connection.release();
  }
}

/** Longest wait for a transaction's COMMIT (its outcome is then unknown; the job fails and is retried). */
const COMMIT_TIMEOUT_MS = 30_000;
/** Longest wait for the rollback of a transaction whose statement failed. */
const ROLLBACK_GRACE_MS = 2_000;

/** A timer as a promise, with `cancel` to clear it early (it then never resolves). */
function wait(ms: number): Promise<void> & { cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Object.assign(promise, { cancel: () => clearTimeout(timer) });
}

/** Rejects with the first rejection among `promises`; never resolves. */
function firstRejection(promises: Promise<unknown>[]): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    for (const promise of promises) promise.catch(reject);
  });
}

/** Writes the events, run completion, jobs and one coalesced notification a transaction collected. */
export async function flushWork(tx: TransactionSql, work: TxWork): Promise<void> {
  if (work.events.length > 0) {
    send(
      work,
      tx`
      insert into run_events (run_id, type, payload)
      select x.run_id, x.type, x.payload from json_to_recordset(${tx.json(work.events as never)}::json)
        as x(run_id text, type text, payload jsonb)`,
    );
    work.events = [];
  }
  const finishing = new Set(work.finish.map((entry) => entry.runId));
  const starting = [...work.markRunning].filter((runId) => !finishing.has(runId));
  work.markRunning.clear();
  if (starting.length > 0) {
    send(
      work,
      tx`update runs set status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
        where id = any(${starting}) and status = 'queued'`,
    );
  }
  if (work.finish.length > 0) {
    const ids = work.finish.map((entry) => entry.runId);
    const outputs = work.finish.map((entry) => entry.output ?? null);
    work.finish = [];
    // Outputs go as one JSON array indexed by position, so a null output stays JSON null (not SQL NULL).
    send(
      work,
      tx`
      with input as (
        select u.id as run_id, (${tx.json(outputs as never)}::jsonb)->(u.ord::int - 1) as output
        from unnest(${ids}::text[]) with ordinality as u(id, ord)
      ), finished as (
        update runs r set status = 'succeeded', started_at = coalesce(r.started_at, now()),
          output = case when r.response is not null then coalesce(r.response->'body', 'null'::jsonb) else input.output end,
          finished_at = now(), updated_at = now()
        from input
        where r.id = input.run_id and r.status in ('queued', 'running', 'waiting')
        returning r.id, r.parent_run_id, r.parent_node_id, coalesce(r.parent_path, '') as parent_path
      ), logged as (
        insert into run_events (run_id, type, payload) select id, 'run.succeeded', '{}'::jsonb from finished
      )
      select graphile_worker.add_job(${STEP_TASK},
          json_build_object('runId', parent_run_id, 'nodeId', parent_node_id, 'path', parent_path),
          job_key => 'step:' || parent_run_id || ':' || parent_path || ':' || parent_node_id)
      from finished where parent_run_id is not null and parent_node_id is not null`,
    );
    for (const runId of ids) work.notify.add(runId);
  }
  if (work.jobs.size > 0) {
    send(
      work,
      tx`
      select count(*) from graphile_worker.add_jobs(array(
        select row(x.identifier, x.payload, null, coalesce(x.run_at, now()), 25, x.job_key, null, null)::graphile_worker.job_spec
        from json_to_recordset(${tx.json([...work.jobs.values()] as never)}::json)
          as x(identifier text, payload json, run_at timestamptz, job_key text)))`,
    );
    work.jobs.clear();
  }
  if (work.notify.size > 0) {
    send(work, tx`select pg_notify('vmesh_runs', ${[...work.notify].join(',')})`);
    work.notify.clear();
  }
  const pending = work.pending;
  work.pending = [];
  await Promise.all(pending);
}

/**
 * Inserts the steps that became ready. With `inline` and exactly one ready step of that run, the step is
 * claimed for the calling worker (no queue hop; `origin_job` lets a re-run of that job resume it after a
 * crash); otherwise each gets a job (inserted and enqueued in one statement, only if the ledger row is new).
 * The inline claim is pipelined: its promise says whether this worker got it.
 */
export function insertReady(
  tx: TransactionSql,
  work: TxWork,
  inline?: { runId: string; jobKey: string },
): Promise<{ nodeId: string; path: string; fence: number } | undefined> {
  const ready = work.ready;
  work.ready = [];
  if (ready.length === 0) return Promise.resolve(undefined);
  const only = ready[0];
  if (inline && ready.length === 1 && only && only.runId === inline.runId) {
    const claimed = Promise.resolve(
      tx`
      insert into steps (run_id, node_id, path, status, attempt, fence, origin_job, started_at)
      values (${only.runId}, ${only.nodeId}, ${only.path}, 'running', 1, 1, ${inline.jobKey}, now())
      on conflict do nothing returning node_id`,
    ).then((rows) => (rows.length > 0 ? { nodeId: only.nodeId, path: only.path, fence: 1 } : undefined));
    send(work, claimed);
    return claimed;
  }
  const hint = work.hint ?? null;
  send(
    work,
    tx`
    -- No job key: a job is added only with its step's new ledger row, so there is no earlier job to replace
    -- (a key would cost graphile-worker a lookup per job); the worker derives the same key (jobKeyFor).
    with inserted as (
      insert into steps (run_id, node_id, path, status)
      select x.run_id, x.node_id, x.path, 'queued' from json_to_recordset(${tx.json(ready.map((r) => ({ run_id: r.runId, node_id: r.nodeId, path: r.path })) as never)}::json)
        as x(run_id text, node_id text, path text)
      on conflict do nothing returning run_id, node_id, path
    ), specs as (
      select array_agg(row(${STEP_TASK}::text,
          json_build_object('runId', run_id, 'nodeId', node_id, 'path', path, 'wf', ${hint?.wf ?? null}::text, 'v', ${hint?.v ?? null}::int),
          null, now(), 25, null, null, null)::graphile_worker.job_spec) as list
      from inserted
    )
    select count(*) from specs, graphile_worker.add_jobs(specs.list) where specs.list is not null`,
  );
  return Promise.resolve(undefined);
}

/** Queues the start nodes of a scope (the run's top level, or one foreach item). */
export function startScope(work: TxWork, runId: string, document: WorkflowDocument, path: string): void {
  for (const node of startNodes(graphForPath(document, path)))
    work.ready.push({ runId, nodeId: node.id, path });
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
  send(
    work,
    tx`
    update steps set state = ${tx.json(foreach)}, output = ${tx.json(outputs as never)},
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
  send(
    work,
    tx`
    update runs set status = 'failed', error = ${tx.json(redactSecrets(error) as never)}, finished_at = now(), updated_at = now(),
      started_at = coalesce(started_at, now())
    where id = ${run.id} and status in ('queued', 'running', 'waiting')`,
  );
  send(
    work,
    tx`
    update steps set status = 'cancelled', finished_at = now()
    where run_id = ${run.id} and status in ('queued', 'running', 'retrying') and not (node_id = ${failure.nodeId} and path = ${failure.path})`,
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

export type Executed = { nodeId: string; path: string; outcome: Outcome };

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
  // Steps run in memory after the claimed one: one multi-row insert, sent before anything that may refer to them.
  let inserts: Record<string, unknown>[] = [];
  const sendInserts = () => {
    if (inserts.length === 0) return;
    send(
      work,
      tx`
      insert into steps (run_id, node_id, path, status, attempt, fence, branch, input, output, error, started_at, finished_at)
      select ${run.id}, x.node_id, x.path, x.status, 1, 1, x.branch, x.input, x.output, x.error, now(),
        case when x.terminal then now() end
      from jsonb_to_recordset(${tx.json(inserts as never)}::jsonb)
        as x(node_id text, path text, status text, branch text, input jsonb, output jsonb, error jsonb, terminal boolean)
      on conflict do nothing`,
    );
    inserts = [];
  };
  for (const [index, { nodeId, path, outcome }] of executed.entries()) {
    const first = index === 0;
    const attempt = first ? claim.attempt : 1;
    if (outcome.kind === 'pending') {
      sendInserts();
      if (outcome.requeueAt) enqueueStep(work, { runId: run.id, nodeId, path }, outcome.requeueAt);
      return { owned };
    }
    const node = findNode(graphForPath(document, path), nodeId);
    let status: string;
    let branch: string | null = null;
    let output: unknown = null;
    let error: StepError | null = null;
    let wakeAt: Date | null = null;
    let state: unknown = null;
    let fatal = false;
    if (outcome.kind === 'succeeded') {
      status = 'succeeded';
      branch = outcome.branch ?? null;
      output = outcome.output;
    } else if (outcome.kind === 'wait') {
      status = 'waiting';
      wakeAt = outcome.wakeAt ?? null;
      state = outcome.state ?? null;
      output = outcome.output ?? null;
    } else {
      error = outcome.error;
      const maxAttempts = node.retry?.maxAttempts ?? 3;
      if (outcome.error.retryable && attempt < maxAttempts) {
        status = 'retrying';
        wakeAt = new Date(Date.now() + backoffDelayMs(attempt, node.retry ?? {}, outcome.error.retryAfterMs));
      } else {
        status = 'failed';
        const policy = node.onError ?? 'fail';
        if (policy === 'route') branch = 'error';
        fatal = policy === 'fail';
      }
    }
    const input = 'input' in outcome ? (outcome.input ?? null) : null;
    const json = (value: unknown) => (value === null || value === undefined ? null : tx.json(value as never));
    const terminal = status === 'succeeded' || status === 'failed';
    if (first) {
      // The claimed step's update is guarded by its fence; a stale claim raises (aborting the transaction),
      // so the whole commit can be pipelined with no round trip to decide.
      const { unclaimed } = claim;
      if (unclaimed) work.markRunning.add(run.id);
      owned = Promise.resolve(
        tx`
        with updated as (
          update steps set status = ${status}, branch = ${branch}, input = ${json(redactSecrets(input))},
            output = ${json(output)}, error = ${json(error)}, wake_at = ${wakeAt}, state = coalesce(${json(state)}, state),
            finished_at = ${terminal ? new Date() : null}, fence = fence + ${unclaimed ? 1 : 0}, attempt = ${attempt},
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
    } else {
      inserts.push({
        node_id: nodeId,
        path,
        status,
        branch,
        input: redactSecrets(input) ?? null,
        output: output ?? null,
        error,
        terminal,
      });
    }
    if (status === 'succeeded') {
      if (outcome.kind === 'succeeded' && outcome.respond) recordResponse(tx, work, run, outcome.respond);
      event(work, run.id, 'step.succeeded', { nodeId, path, attempt });
      changed.set(nodeId, { status, branch, output });
    } else if (status === 'retrying') {
      event(work, run.id, 'step.retrying', { nodeId, path, attempt, error, retryAt: wakeAt?.toISOString() });
      enqueueStep(work, { runId: run.id, nodeId, path }, wakeAt ?? undefined);
    } else if (status === 'failed') {
      event(work, run.id, 'step.failed', { nodeId, path, attempt, error });
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
    tx`update runs set response = ${tx.json(respond as never)}, updated_at = now() where id = ${run.id}`,
  );
  event(work, run.id, 'run.responded', { status: respond.status });
}

/** Starts a waiting step's wait: its node's `begin`, given the transaction's primitives. */
async function beginWait(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
  node: WorkflowNode,
  step: { nodeId: string; path: string },
  wait: unknown,
): Promise<void> {
  const begin = findCoreNode(node.uses)?.begin;
  if (!begin) throw new Error(`${node.uses} waits but declares no begin`);
  await begin(wait, {
    runId: run.id,
    step,
    wakeAt: (at) => enqueueStep(work, { runId: run.id, ...step }, at),
    event: (type, data) => event(work, run.id, type, data),
    requestApproval: async (message, approvers) => {
      const [row] = await tx`
        insert into approvals (id, run_id, node_id, path, message, approvers)
        values (${newId('apr')}, ${run.id}, ${step.nodeId}, ${step.path}, ${message}, ${tx.json(approvers)})
        on conflict (run_id, node_id, path) do update set status = 'pending', decided_by = null, decided_at = null
        returning id`;
      send(
        work,
        tx`update runs set status = 'waiting', updated_at = now() where id = ${run.id} and status = 'running'`,
      );
      return row?.id as string | undefined;
    },
    startChildRun: async (workflow, input) => {
      const target = await resolveWorkflowRef(tx, workflow);
      const childDocument = await loadDocument(tx, target.id, target.currentVersion);
      const child = await createRunInTx(tx, work, {
        workflowId: target.id,
        version: target.currentVersion,
        document: childDocument,
        trigger: input,
        triggerType: 'subworkflow',
        parent: { runId: run.id, nodeId: step.nodeId, path: step.path },
      });
      send(
        work,
        tx`update steps set state = ${tx.json({ childRunId: child.runId })} where run_id = ${run.id} and node_id = ${step.nodeId} and path = ${step.path}`,
      );
      return child.runId;
    },
    startItems: (count) => {
      for (let index = 0; index < count; index++)
        startScope(work, run.id, document, childPath(step.path, step.nodeId, index));
    },
  });
}
