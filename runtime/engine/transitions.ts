import { z } from 'zod';
import type { TransactionSql } from '../../db/index.ts';
import { redactSecrets } from '../../lib/redact.ts';
import { newId } from '../store/ids.ts';
import type { WorkflowDocument } from '../workflow/document.ts';
import { createRunInTx, resolveWorkflowRef } from './create-run.ts';
import {
  findNode,
  graphForPath,
  type NodeState,
  propagate,
  scopeComplete,
  scopeOutput,
  startNodes,
} from './graph.ts';
import type { Outcome, RespondValue } from './outcome.ts';
import { loadDocument, type RunRow, RunRow as RunRowSchema } from './run-context.ts';
import { childPath, jobKeyFor, parentOf } from './scope-path.ts';
import { backoffDelayMs, type StepError } from './step-error.ts';

export const STEP_TASK = 'vmesh_step';
export const StepJobPayload = z.object({
  runId: z.string().min(1),
  nodeId: z.string().min(1),
  path: z.string(),
});
export type StepJobPayload = z.infer<typeof StepJobPayload>;

/** Everything one transaction decides; written at its end in a few multi-row statements. */
export type TxWork = {
  events: { run_id: string; type: string; payload: unknown }[];
  jobs: Map<string, { identifier: string; payload: unknown; run_at: string | null; job_key: string }>;
  ready: StepJobPayload[];
  notify: Set<string>;
};

export function newWork(): TxWork {
  return { events: [], jobs: new Map(), ready: [], notify: new Set() };
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
    payload: step,
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

/** Locks the run row: every transition of one run is serialised on it, so a join starts exactly once. */
export async function lockRun(tx: TransactionSql, runId: string): Promise<RunRow | undefined> {
  const [row] = await tx`select ${tx(RUN_COLUMNS)} from runs where id = ${runId} for update`;
  return row ? RunRowSchema.parse(row) : undefined;
}

/** Writes the events, jobs and notifications a transaction collected. */
export async function flushWork(tx: TransactionSql, work: TxWork): Promise<void> {
  if (work.jobs.size > 0) {
    await tx`
      select count(*) from graphile_worker.add_jobs(array(
        select row(x.identifier, x.payload, null, coalesce(x.run_at, now()), 25, x.job_key, null, null)::graphile_worker.job_spec
        from json_to_recordset(${tx.json([...work.jobs.values()] as never)}::json)
          as x(identifier text, payload json, run_at timestamptz, job_key text)))`;
  }
  if (work.events.length > 0) {
    await tx`
      insert into run_events (run_id, type, payload)
      select x.run_id, x.type, x.payload from json_to_recordset(${tx.json(work.events as never)}::json)
        as x(run_id text, type text, payload jsonb)`;
  }
  if (work.notify.size > 0) await tx`select pg_notify('vmesh_runs', ${[...work.notify].join(',')})`;
}

/**
 * Inserts the steps that became ready. With `inline` and exactly one ready step of that run, the step is
 * claimed for the calling worker (no queue hop; `origin_job` lets a re-run of that job resume it after a
 * crash); otherwise each gets a job.
 */
export async function insertReady(
  tx: TransactionSql,
  work: TxWork,
  inline?: { runId: string; jobKey: string },
): Promise<{ nodeId: string; path: string; fence: number } | undefined> {
  const ready = work.ready;
  work.ready = [];
  if (ready.length === 0) return undefined;
  const only = ready[0];
  if (inline && ready.length === 1 && only && only.runId === inline.runId) {
    const rows = await tx`
      insert into steps (run_id, node_id, path, status, attempt, fence, origin_job, started_at)
      values (${only.runId}, ${only.nodeId}, ${only.path}, 'running', 1, 1, ${inline.jobKey}, now())
      on conflict do nothing returning node_id`;
    return rows.length > 0 ? { nodeId: only.nodeId, path: only.path, fence: 1 } : undefined;
  }
  const rows = await tx`
    insert into steps (run_id, node_id, path, status)
    select x.run_id, x.node_id, x.path, 'queued' from json_to_recordset(${tx.json(ready.map((r) => ({ run_id: r.runId, node_id: r.nodeId, path: r.path })) as never)}::json)
      as x(run_id text, node_id text, path text)
    on conflict do nothing returning run_id, node_id, path`;
  for (const row of rows) {
    const step = z.object({ runId: z.string(), nodeId: z.string(), path: z.string() }).parse(row);
    enqueueStep(work, step);
  }
  return undefined;
}

/** Queues the start nodes of a scope (the run's top level, or one foreach item). */
export function startScope(work: TxWork, runId: string, document: WorkflowDocument, path: string): void {
  for (const node of startNodes(graphForPath(document, path)))
    work.ready.push({ runId, nodeId: node.id, path });
}

async function scopeStates(tx: TransactionSql, runId: string, path: string): Promise<Map<string, NodeState>> {
  const rows = await tx`select node_id, status, branch from steps where run_id = ${runId} and path = ${path}`;
  const states = new Map<string, NodeState>();
  for (const row of rows) {
    const parsed = z
      .object({ nodeId: z.string(), status: z.string(), branch: z.string().nullable() })
      .parse(row);
    states.set(parsed.nodeId, { status: parsed.status, branch: parsed.branch });
  }
  return states;
}

async function scopeOutputs(tx: TransactionSql, runId: string, path: string) {
  const rows = await tx`select node_id, status, output from steps where run_id = ${runId} and path = ${path}`;
  const map = new Map<string, { status: string; output: unknown }>();
  for (const row of rows) {
    const parsed = z.object({ nodeId: z.string(), status: z.string(), output: z.unknown() }).parse(row);
    map.set(parsed.nodeId, { status: parsed.status, output: parsed.output ?? null });
  }
  return map;
}

const ForeachState = z.object({
  total: z.number(),
  started: z.number(),
  done: z.number(),
  concurrency: z.number(),
});

/**
 * After nodes of a scope finished: mark newly ready and skipped nodes; when the scope is complete, finish
 * the foreach item (and maybe the foreach, continuing in the enclosing scope) or the run.
 */
export async function advance(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
  scope: string,
  changed: string[],
): Promise<void> {
  let path = scope;
  let nodes = changed;
  for (;;) {
    const graph = graphForPath(document, path);
    const states = await scopeStates(tx, run.id, path);
    for (const queued of work.ready)
      if (queued.runId === run.id && queued.path === path)
        states.set(queued.nodeId, { status: 'queued', branch: null });
    const { ready, skipped } = propagate(graph, states, nodes);
    if (skipped.length > 0) {
      await tx`
        insert into steps (run_id, node_id, path, status, finished_at)
        select ${run.id}, x, ${path}, 'skipped', now() from unnest(${skipped}::text[]) as x
        on conflict do nothing`;
      for (const nodeId of skipped) event(work, run.id, 'step.skipped', { nodeId, path });
    }
    for (const nodeId of ready) work.ready.push({ runId: run.id, nodeId, path });
    if (!scopeComplete(graph, states)) return;
    if (path === '') {
      await finishRun(tx, work, run, document);
      return;
    }
    const parent = parentOf(path);
    if (!parent) return;
    const result = scopeOutput(graph, await scopeOutputs(tx, run.id, path));
    const [row] = await tx`
      select state, output from steps where run_id = ${run.id} and node_id = ${parent.nodeId} and path = ${parent.parent} for update`;
    const foreach = ForeachState.parse(row?.state);
    const outputs = z.array(z.unknown()).parse(row?.output ?? []);
    outputs[parent.index] = result;
    foreach.done += 1;
    while (foreach.started < foreach.total && foreach.started - foreach.done < foreach.concurrency) {
      startScope(work, run.id, document, childPath(parent.parent, parent.nodeId, foreach.started));
      foreach.started += 1;
    }
    const finished = foreach.done >= foreach.total;
    await tx`
      update steps set state = ${tx.json(foreach)}, output = ${tx.json(outputs as never)},
        status = ${finished ? 'succeeded' : 'waiting'}, finished_at = ${finished ? new Date() : null}
      where run_id = ${run.id} and node_id = ${parent.nodeId} and path = ${parent.parent}`;
    if (!finished) return;
    event(work, run.id, 'step.succeeded', { nodeId: parent.nodeId, path: parent.parent });
    path = parent.parent;
    nodes = [parent.nodeId];
  }
}

async function notifyParent(work: TxWork, run: RunRow): Promise<void> {
  if (run.parentRunId && run.parentNodeId) {
    enqueueStep(work, { runId: run.parentRunId, nodeId: run.parentNodeId, path: run.parentPath ?? '' });
  }
}

async function finishRun(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
): Promise<void> {
  const [fresh] = await tx`select response from runs where id = ${run.id}`;
  const response = z
    .object({ body: z.unknown() })
    .nullable()
    .parse(fresh?.response ?? null);
  const output = scopeOutput(graphForPath(document, ''), await scopeOutputs(tx, run.id, ''), response);
  await tx`
    update runs set status = 'succeeded', output = ${tx.json((output ?? null) as never)}, finished_at = now(), updated_at = now()
    where id = ${run.id}`;
  event(work, run.id, 'run.succeeded', {});
  await notifyParent(work, run);
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
  await tx`
    update runs set status = 'failed', error = ${tx.json(redactSecrets(error) as never)}, finished_at = now(), updated_at = now()
    where id = ${run.id}`;
  await tx`
    update steps set status = 'cancelled', finished_at = now()
    where run_id = ${run.id} and status in ('queued', 'running', 'retrying') and not (node_id = ${failure.nodeId} and path = ${failure.path})`;
  event(work, run.id, 'run.failed', {
    workflowId: run.workflowId,
    version: run.version,
    stepId: failure.nodeId,
    path: failure.path,
    input: failure.input ?? null,
    error: failure.error,
  });
  await notifyParent(work, run);
}

export type Executed = { nodeId: string; path: string; outcome: Outcome };

/**
 * Records the execution of a claimed step (and of pure steps run right after it in memory), then moves the
 * run forward. Returns 'fenced' when the claim is stale (someone else owns the step now): nothing is written.
 */
export async function recordExecution(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
  claim: { nodeId: string; path: string; fence: number; attempt: number },
  executed: Executed[],
): Promise<'fenced' | 'recorded'> {
  const scope = claim.path;
  const changed: string[] = [];
  for (const [index, { nodeId, path, outcome }] of executed.entries()) {
    const first = index === 0;
    const attempt = first ? claim.attempt : 1;
    if (outcome.kind === 'pending') {
      if (outcome.requeueAt) enqueueStep(work, { runId: run.id, nodeId, path }, outcome.requeueAt);
      return 'recorded';
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
      if (outcome.wait.type === 'delay') wakeAt = outcome.wait.until;
      if (outcome.wait.type === 'foreach') {
        const started = Math.min(outcome.wait.concurrency, outcome.wait.items.length);
        state = { total: outcome.wait.items.length, started, done: 0, concurrency: outcome.wait.concurrency };
        output = outcome.wait.items.map(() => null);
      }
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
      const rows = await tx`
        update steps set status = ${status}, branch = ${branch}, input = ${json(redactSecrets(input))},
          output = ${json(output)}, error = ${json(error)}, wake_at = ${wakeAt}, state = coalesce(${json(state)}, state),
          finished_at = ${terminal ? new Date() : null}
        where run_id = ${run.id} and node_id = ${nodeId} and path = ${path} and fence = ${claim.fence}
          and status in ('running', 'waiting')
        returning node_id`;
      if (rows.length === 0) return 'fenced';
    } else {
      await tx`
        insert into steps (run_id, node_id, path, status, attempt, fence, branch, input, output, error, started_at, finished_at)
        values (${run.id}, ${nodeId}, ${path}, ${status}, 1, 1, ${branch}, ${json(redactSecrets(input))}, ${json(output)},
          ${json(error)}, now(), ${terminal ? new Date() : null})
        on conflict do nothing`;
    }
    if (status === 'succeeded') {
      if (outcome.kind === 'succeeded' && outcome.respond)
        await recordResponse(tx, work, run, outcome.respond);
      event(work, run.id, 'step.succeeded', { nodeId, path, attempt });
      changed.push(nodeId);
    } else if (status === 'retrying') {
      event(work, run.id, 'step.retrying', { nodeId, path, attempt, error, retryAt: wakeAt?.toISOString() });
      enqueueStep(work, { runId: run.id, nodeId, path }, wakeAt ?? undefined);
    } else if (status === 'failed') {
      event(work, run.id, 'step.failed', { nodeId, path, attempt, error });
      if (fatal) {
        await failRun(tx, work, run, { nodeId, path, input, error: error as StepError });
        return 'recorded';
      }
      changed.push(nodeId);
    } else if (outcome.kind === 'wait') {
      await beginWait(tx, work, run, document, { nodeId, path }, outcome.wait);
    }
  }
  if (changed.length > 0) await advance(tx, work, run, document, scope, changed);
  return 'recorded';
}

async function recordResponse(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  respond: RespondValue,
): Promise<void> {
  await tx`update runs set response = ${tx.json(respond as never)}, updated_at = now() where id = ${run.id}`;
  event(work, run.id, 'run.responded', { status: respond.status });
}

async function beginWait(
  tx: TransactionSql,
  work: TxWork,
  run: RunRow,
  document: WorkflowDocument,
  step: { nodeId: string; path: string },
  wait: Extract<Outcome, { kind: 'wait' }>['wait'],
): Promise<void> {
  switch (wait.type) {
    case 'delay':
      enqueueStep(work, { runId: run.id, ...step }, wait.until);
      event(work, run.id, 'step.waiting', { ...step, until: wait.until.toISOString() });
      return;
    case 'approval': {
      const [row] = await tx`
        insert into approvals (id, run_id, node_id, path, message, approvers)
        values (${newId('apr')}, ${run.id}, ${step.nodeId}, ${step.path}, ${wait.message}, ${tx.json(wait.approvers)})
        on conflict (run_id, node_id, path) do update set status = 'pending', decided_by = null, decided_at = null
        returning id`;
      await tx`update runs set status = 'waiting', updated_at = now() where id = ${run.id} and status = 'running'`;
      event(work, run.id, 'approval.requested', {
        ...step,
        approvalId: row?.id,
        message: wait.message,
        approvers: wait.approvers,
      });
      return;
    }
    case 'subworkflow': {
      const target = await resolveWorkflowRef(tx, wait.workflow);
      const childDocument = await loadDocument(tx, target.id, target.currentVersion);
      const child = await createRunInTx(tx, work, {
        workflowId: target.id,
        version: target.currentVersion,
        document: childDocument,
        trigger: wait.input,
        triggerType: 'subworkflow',
        parent: { runId: run.id, nodeId: step.nodeId, path: step.path },
      });
      await tx`update steps set state = ${tx.json({ childRunId: child.runId })} where run_id = ${run.id} and node_id = ${step.nodeId} and path = ${step.path}`;
      event(work, run.id, 'step.waiting', { ...step, childRunId: child.runId });
      return;
    }
    case 'foreach': {
      const started = Math.min(wait.concurrency, wait.items.length);
      for (let index = 0; index < started; index++)
        startScope(work, run.id, document, childPath(step.path, step.nodeId, index));
      event(work, run.id, 'step.waiting', { ...step, items: wait.items.length });
      return;
    }
  }
}
