import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import {
  Logger as GraphileLogger,
  makeWorkerUtils,
  type Runner,
  run,
  type WorkerEvents,
  type WorkerUtils,
} from 'graphile-worker';
import type { Sql } from '../../db/index.ts';
import { logger as appLogger } from '../../lib/index.ts';
import { listenForCancellations } from './cancellations.ts';
import type { NodeRunnerDeps } from './node-runner.ts';
import { createRunSlots, defaultRunConcurrency, deferStep } from './run-slots.ts';
import { runStepJob } from './step-task.ts';
import { STEP_TASK, StepJobPayload } from './tasks.ts';

/** graphile-worker task name → handler of its (unparsed) payload. */
export type WorkerTasks = Record<string, (payload: unknown) => Promise<void>>;

export type EngineWorkerOptions = {
  deps: NodeRunnerDeps;
  connectionString: string;
  /** Jobs run at once by this worker (default 10). */
  concurrency?: number;
  /**
   * The share of this worker's job slots one run may hold while the others are busy (default: half of
   * `concurrency`, at least 1); beyond it a run only borrows idle slots, never the last free one. A step job of a
   * run over its share goes back to the queue for a moment instead of waiting in a slot.
   */
  runConcurrency?: number | undefined;
  /** A worker whose heartbeat is older than this is presumed dead and its jobs are released (default 30 s). */
  leaseMs?: number;
  pollIntervalMs?: number;
  /**
   * More graphile-worker tasks this worker runs: the trigger kinds' tasks (runtime/triggers' triggerTasks, e.g.
   * schedule ticks) and the app's self-healing RUN_FAILED_TASK. The engine itself only brings STEP_TASK.
   */
  tasks?: WorkerTasks | undefined;
  /** graphile-worker crontab lines (e.g. the audit log's pruning); cron runs once per slot across workers. */
  crontab?: string | undefined;
};

export type EngineWorker = {
  /** graphile-worker's pool id: the `locked_by` of the jobs this worker holds. */
  workerId: string;
  stop(): Promise<void>;
  /** Runs one sweep for dead workers now (tests); returns the ids it released. */
  sweep(): Promise<string[]>;
};

/**
 * graphile-worker tuning used by the engine (and, for a fair comparison, by the raw baselines in the benchmark):
 * a local queue so a free slot takes the next job without a database round trip, and job completions sent at
 * once (batch delay 0: batched with whatever completes in the same tick, no waiting). Duplicate runs of a job
 * are no-ops in the engine, so batching completions cannot repeat an effect.
 */
/** How long a stopping worker lets its running steps finish before aborting them. */
export const SHUTDOWN_GRACE_MS = 1_000;

export function workerTuning(concurrency: number): {
  preset: {
    worker: {
      localQueue: { size: number };
      completeJobBatchDelay: number;
      failJobBatchDelay: number;
      gracefulShutdownAbortTimeout: number;
    };
  };
} {
  return {
    preset: {
      worker: {
        localQueue: { size: Math.max(2, concurrency) },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
        // On SIGTERM running steps get this long to finish; then they are aborted (a retryable failure that the
        // next worker retries), so a stopping process is gone within 2 s.
        gracefulShutdownAbortTimeout: SHUTDOWN_GRACE_MS,
      },
    },
  };
}

function graphileLogger(): GraphileLogger {
  return new GraphileLogger((scope) => (level, message, meta) => {
    const log = appLogger.child({ component: 'graphile-worker', ...scope });
    if (level === 'error') log.error(meta ?? {}, message);
    else if (level === 'warning') log.warn(meta ?? {}, message);
    else log.debug(meta ?? {}, message);
  });
}

/**
 * Releases the jobs of worker pools whose heartbeat stopped (crash, kill -9, lost machine) with
 * graphile-worker's own forceUnlockWorkers; their steps re-run elsewhere and the fence rejects any late result.
 */
export async function sweepDeadWorkers(sql: Sql, utils: WorkerUtils, leaseMs: number): Promise<string[]> {
  const rows = await sql`
    select distinct j.locked_by as worker_id from graphile_worker._private_jobs j
    where j.locked_by is not null
      and not exists (
        select 1 from worker_heartbeats h
        where h.worker_id = j.locked_by and h.last_seen_at > now() - ${leaseMs} * interval '1 millisecond')
      and j.locked_at < now() - ${leaseMs} * interval '1 millisecond'
    union
    select worker_id from worker_heartbeats where last_seen_at < now() - ${leaseMs} * interval '1 millisecond'`;
  const ids = rows.map((row) => String(row.workerId));
  if (ids.length === 0) return [];
  await utils.forceUnlockWorkers(ids);
  await sql`delete from worker_heartbeats where worker_id = any(${ids}) and last_seen_at < now() - ${leaseMs} * interval '1 millisecond'`;
  appLogger.warn({ workers: ids }, 'released the jobs of workers that stopped sending heartbeats');
  return ids;
}

/** The job runner's connections are named `vmesh-worker` in pg_stat_activity (the vmesh_db_connections metric). */
export function workerConnectionString(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('application_name'))
    parsed.searchParams.set('application_name', 'vmesh-worker');
  return parsed.toString();
}

/** Starts a graphile-worker pool running engine steps (and the given tasks), with heartbeat and dead-worker sweeper. */
export async function startEngineWorker(options: EngineWorkerOptions): Promise<EngineWorker> {
  const { deps } = options;
  const { sql } = deps;
  const leaseMs = options.leaseMs ?? 30_000;
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  let workerId = '';
  const beat = async () => {
    if (!workerId) return;
    await sql`
      insert into worker_heartbeats (worker_id, pid, hostname) values (${workerId}, ${process.pid}, ${hostname()})
      on conflict (worker_id) do update set last_seen_at = now()`;
  };
  events.on('pool:create', ({ workerPool }) => {
    workerId = workerPool.id;
  });
  const concurrency = options.concurrency ?? 10;
  const connectionString = workerConnectionString(options.connectionString);
  const slots = createRunSlots(
    Math.max(1, Math.min(concurrency, options.runConcurrency ?? defaultRunConcurrency(concurrency))),
    concurrency,
  );
  const cancellations = await listenForCancellations(sql);
  const startRunner = (): Promise<Runner> =>
    run({
      ...workerTuning(concurrency),
      connectionString,
      concurrency,
      noHandleSignals: true,
      pollInterval: options.pollIntervalMs ?? 1000,
      logger: graphileLogger(),
      events,
      ...(options.crontab ? { crontab: options.crontab } : {}),
      taskList: {
        ...options.tasks,
        [STEP_TASK]: async (payload, helpers) => {
          const parsed = StepJobPayload.parse(payload);
          const slot = slots.take(parsed.runId);
          if (!slot) return deferStep(sql, parsed, helpers.job.key);
          const cancelled = cancellations.track(parsed.runId);
          try {
            const signals = [cancelled.signal, ...(helpers.abortSignal ? [helpers.abortSignal] : [])];
            await runStepJob(deps, parsed, helpers.job.key, AbortSignal.any(signals));
          } finally {
            cancelled.done();
            slot.release();
          }
        },
      },
    });
  let runner = await startRunner();
  let stopping = false;
  await beat();
  const utils = await makeWorkerUtils({
    connectionString,
    logger: graphileLogger(),
  });
  const timers = [
    setInterval(
      () => void beat().catch((error) => appLogger.warn({ error }, 'heartbeat failed')),
      Math.max(250, leaseMs / 4),
    ),
    setInterval(
      () =>
        void sweepDeadWorkers(sql, utils, leaseMs).catch((error) =>
          appLogger.warn({ error }, 'sweep failed'),
        ),
      Math.max(500, leaseMs / 2),
    ),
  ];
  for (const timer of timers) timer.unref();
  // graphile-worker shuts its pool down when it cannot record a job's completion (e.g. the database restarted)
  // and expects a new one. Unwatched, the process lived on with no working pool, still heartbeating, so the
  // jobs it held were never released; and that shutdown can hang for good. So on the pool's fatal error (or its
  // end) a new pool is started and the lost pool's jobs are released (the fence rejects any late result).
  const replaced = new Set<string>();
  const replace = async (lost: string): Promise<void> => {
    if (stopping || replaced.has(lost)) return;
    replaced.add(lost);
    appLogger.warn({ workerId: lost }, 'the job runner stopped; starting a new one');
    for (let delay = 500; !stopping; delay = Math.min(delay * 2, 10_000)) {
      const next = await startRunner().catch((error: unknown) => {
        appLogger.warn({ error }, 'restarting the job runner failed; trying again');
      });
      if (!next) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      runner = next;
      if (stopping) return void (await next.stop().catch(() => {}));
      watch(next, workerId);
      // Best effort: if this fails, the sweeper releases them once the lost pool's heartbeat is a lease old.
      await Promise.all([beat(), utils.forceUnlockWorkers([lost])])
        .then(() => sql`delete from worker_heartbeats where worker_id = ${lost}`)
        .catch((error: unknown) => appLogger.warn({ error }, 'releasing the lost pool failed'));
      return;
    }
  };
  const watch = (current: Runner, id: string): void => {
    void current.promise
      .catch((error: unknown) => appLogger.error({ error }, 'the job runner stopped with an error'))
      .then(() => replace(id));
  };
  events.on('pool:fatalError', ({ workerPool }) => void replace(workerPool.id));
  watch(runner, workerId);
  return {
    get workerId() {
      return workerId;
    },
    sweep: () => sweepDeadWorkers(sql, utils, leaseMs),
    async stop() {
      stopping = true;
      for (const timer of timers) clearInterval(timer);
      // The runner may have stopped by itself already (see replace).
      await runner.stop().catch((error: unknown) => appLogger.warn({ error }, 'stopping the job runner'));
      await utils.release();
      await cancellations.stop().catch(() => {});
      await sql`delete from worker_heartbeats where worker_id = ${workerId}`.catch(() => {});
    },
  };
}
