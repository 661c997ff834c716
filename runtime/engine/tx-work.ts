// The unit of work of one engine transaction: what it decides (events, jobs, ready steps, run completions,
// notifications), collected in memory and written at its end in a few pipelined statements.
import type { TransactionSql } from '../../db/index.ts';
import { redactSecrets } from '../../lib/index.ts';
import { LIVE_RUN_LIST } from '../store/run-status.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { graphForPath, startNodes } from './graph.ts';
import { currentOutputLimits, type OutputLimits } from './output-limits.ts';
import { jobKeyFor } from './scope-path.ts';
import { storedParam } from './stored-json.ts';
import { STEP_TASK, type StepJobPayload } from './tasks.ts';

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
  /** Bytes of step outputs this transaction stores, per run (counted against `limits.runBytes` at flush). */
  outputBytes: Map<string, number>;
  limits: OutputLimits;
  /** Whether the fenced update of the step this transaction records held (set by recordExecution). */
  fence?: Promise<boolean> | undefined;
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
    outputBytes: new Map(),
    limits: currentOutputLimits(),
  };
}

export function addOutputBytes(work: TxWork, runId: string, bytes: number): void {
  if (bytes > 0) work.outputBytes.set(runId, (work.outputBytes.get(runId) ?? 0) + bytes);
}

/** The message of the error a flush raises when a run would store more than its limit (see flushWork). */
export const RUN_OUTPUT_CAP_MARK = '"run_output_cap:';

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

/** Writes the events, run completion, jobs and one coalesced notification a transaction collected. */
export async function flushWork(tx: TransactionSql, work: TxWork): Promise<void> {
  if (work.events.length > 0) {
    send(
      work,
      tx`
      insert into run_events (run_id, type, payload)
      select x.run_id, x.type, x.payload from json_to_recordset(${storedParam(tx, work.events)}::json)
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
        select u.id as run_id, (${storedParam(tx, outputs)}::jsonb)->(u.ord::int - 1) as output
        from unnest(${ids}::text[]) with ordinality as u(id, ord)
      ), finished as (
        update runs r set status = 'succeeded', started_at = coalesce(r.started_at, now()),
          output = case when r.response is not null then coalesce(r.response->'body', 'null'::jsonb) else input.output end,
          finished_at = now(), updated_at = now()
        from input
        where r.id = input.run_id and r.status in ${tx(LIVE_RUN_LIST)}
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
        from json_to_recordset(${storedParam(tx, [...work.jobs.values()])}::json)
          as x(identifier text, payload json, run_at timestamptz, job_key text)))`,
    );
    work.jobs.clear();
  }
  if (work.outputBytes.size > 0) {
    // The run's running total of stored step outputs, in run id order (so concurrent commits lock these rows in
    // one order) and as the transaction's last row locks. Over the limit it raises: nothing of the transaction
    // commits, and the step job records its step as failed instead (E_RUN_OUTPUT_TOO_LARGE).
    const usage = [...work.outputBytes].map(([run_id, bytes]) => ({ run_id, bytes }));
    work.outputBytes.clear();
    send(
      work,
      tx`
      with added as (
        insert into run_output_usage (run_id, bytes)
        select x.run_id, x.bytes from json_to_recordset(${storedParam(tx, usage)}::json) as x(run_id text, bytes bigint)
        order by x.run_id
        on conflict (run_id) do update set bytes = run_output_usage.bytes + excluded.bytes
        returning run_id, bytes
      )
      select coalesce(min(('run_output_cap:' || run_id)::int), 0) as capped from added
      where bytes > ${work.limits.runBytes}`,
    );
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
      select x.run_id, x.node_id, x.path, 'queued' from json_to_recordset(${storedParam(
        tx,
        ready.map((r) => ({ run_id: r.runId, node_id: r.nodeId, path: r.path })),
      )}::json)
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
