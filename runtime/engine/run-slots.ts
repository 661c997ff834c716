// Fairness between runs inside one worker: a run holds at most `perRun` of the worker's job slots while the
// others are in use; past that it may borrow idle slots, but never the last free one, so a job of another run
// always finds a slot at once. A step job of a run over its share does not wait in its slot: it is put back in
// the queue a little later (deferStep) and its slot goes to the next job, so one run's foreach of thousands of
// items or its many sandboxed steps cannot keep other runs waiting.
import type { Sql, TransactionSql } from '../../db/index.ts';
import { jobKeyFor } from './scope-path.ts';
import { STEP_TASK, type StepJobPayload } from './tasks.ts';

export type RunSlots = {
  /**
   * Takes a slot for the run: while it holds fewer than `perRun`, or while taking one still leaves a slot of the
   * worker free. Otherwise returns undefined.
   */
  take(runId: string): { release(): void } | undefined;
  /** Slots each run holds now (tests, diagnostics). */
  held(): ReadonlyMap<string, number>;
  readonly perRun: number;
};

/** The default per-run limit: half the worker's slots (at least one), so other runs always find some free. */
export function defaultRunConcurrency(concurrency: number): number {
  return Math.max(1, Math.floor(concurrency / 2));
}

export function createRunSlots(perRun: number, total: number): RunSlots {
  const held = new Map<string, number>();
  let inUse = 0;
  return {
    perRun,
    held: () => held,
    take(runId) {
      const count = held.get(runId) ?? 0;
      if (count >= perRun && inUse + 1 >= total) return undefined;
      held.set(runId, count + 1);
      inUse += 1;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          inUse -= 1;
          const left = (held.get(runId) ?? 1) - 1;
          if (left <= 0) held.delete(runId);
          else held.set(runId, left);
        },
      };
    },
  };
}

/** Shortest and longest wait of a deferred step job; it doubles each time the same job is deferred again. */
const FIRST_DEFER_MS = 20;
const LONGEST_DEFER_MS = 1_000;
/**
 * graphile-worker takes jobs by priority (lower first), then run_at: a deferred job comes after every job that is
 * due at normal priority (0), so a new run's first step never queues behind another run's deferred ones. After
 * PRIORITY_DEFERRALS deferrals a job goes back to priority 0, so a constant stream of new jobs cannot starve it.
 */
const DEFERRED_PRIORITY = 1;
const PRIORITY_DEFERRALS = 8;

/** How long a job deferred `times` times before waits now (with jitter, so deferred jobs do not come back together). */
export function deferDelayMs(times: number, random: () => number = Math.random): number {
  const base = Math.min(LONGEST_DEFER_MS, FIRST_DEFER_MS * 2 ** Math.min(times, 10));
  return Math.round(base * (0.75 + random() / 2));
}

/**
 * Adds the step's job again, to run after `delayMs` when given (a rate budget's next token), else after deferDelayMs
 * (in the caller's transaction when given one).
 */
function requeue(
  sql: Sql | TransactionSql,
  payload: StepJobPayload,
  jobKey: string | null,
  delayMs?: number,
) {
  const times = payload.deferred ?? 0;
  const key = jobKey ?? jobKeyFor(payload.runId, payload.nodeId, payload.path);
  const next = { ...payload, deferred: times + 1 };
  const priority = times < PRIORITY_DEFERRALS ? DEFERRED_PRIORITY : 0;
  return sql`
    select graphile_worker.add_job(${STEP_TASK}, ${sql.json(next)}::json,
      run_at => now() + ${delayMs ?? deferDelayMs(times)} * interval '1 millisecond', job_key => ${key},
      priority => ${priority})`;
}

/**
 * Puts a step job back in the queue to run after a short delay (its current job then completes and frees its
 * slot). The new job has the step's job key (a job of that key still waiting is replaced; graphile-worker gives
 * the running one's key up), so the step keeps one pending job; a duplicate job for a step would be a no-op.
 */
export async function deferStep(sql: Sql, payload: StepJobPayload, jobKey: string | null): Promise<void> {
  await requeue(sql, payload, jobKey);
}

/**
 * Gives a claimed step back (it found the sandbox busy or its rate budget empty, so it waits outside the worker's
 * slots): the step is queued again as before its claim, without using up an attempt, and its job is added again
 * (after `delayMs` when given), in one transaction. A step whose claim went stale meanwhile (cancelled, taken by
 * another worker) is left alone.
 */
export async function yieldStep(
  sql: Sql,
  claim: { runId: string; nodeId: string; path: string; fence: number },
  payload: StepJobPayload,
  budget?: { delayMs: number; credential: string },
): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx`
      update steps set status = 'queued', attempt = greatest(attempt - 1, 0)
      where run_id = ${claim.runId} and node_id = ${claim.nodeId} and path = ${claim.path}
        and fence = ${claim.fence} and status = 'running'
      returning node_id`;
    if (!row) return;
    await requeue(tx, { ...payload, nodeId: claim.nodeId, path: claim.path }, null, budget?.delayMs);
    // Says why a step of a running run is queued again (step.throttled: its credential's rate budget is empty).
    if (budget) {
      const event = {
        nodeId: claim.nodeId,
        path: claim.path,
        credential: budget.credential,
        waitMs: budget.delayMs,
      };
      await tx`
        insert into run_events (run_id, type, payload) values (${claim.runId}, 'step.throttled', ${tx.json(event)})`;
      await tx`select pg_notify('vmesh_runs', ${claim.runId})`;
    }
  });
}

/** Longest wait a process keeps a wake-up timer for; later jobs are found by the workers' regular poll. */
const LONGEST_WAKE_MS = 60_000;

/**
 * Workers find a job queued for later only on their next poll (every second); a rate-budgeted step is due at a
 * precise time. So the process that queued it sends graphile-worker's own `jobs:insert` notification when it
 * is due, and a listening worker fetches it at once. Unref'd: it never keeps a process alive; lost with its
 * process, the poll still finds the job.
 */
export function wakeWorkersAfter(sql: Sql, delayMs: number): void {
  if (delayMs > LONGEST_WAKE_MS) return;
  const timer = setTimeout(() => {
    sql`select pg_notify('jobs:insert', '{"count":1}')`.catch(() => {});
  }, delayMs + 5);
  timer.unref();
}
