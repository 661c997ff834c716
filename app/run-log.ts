import type { Sql } from '../db/index.ts';
import { type Logger, recordRunSpan, traceIdOf } from '../lib/index.ts';
import { createRunEventCursor } from './run-event-cursor.ts';

const EVENTS_PER_READ = 1_000;

type Transition = {
  seq: string;
  type: string;
  runId: string;
  workflowId: string;
  version: number;
  triggerType: string;
  nodeId: string | null;
  path: string | null;
  attempt: number | null;
  errorCode: string | null;
  durationMs: number | null;
  traceparent: string | null;
  traceParentId: string | null;
  startedAt: Date;
  finishedAt: Date | null;
};

const FINISHED = new Set(['run.succeeded', 'run.failed', 'run.cancelled']);

/**
 * The server's run log: one structured line per run transition (created, succeeded, failed, cancelled, retried)
 * and per failed step, read from the engine's run events after the last one logged, so the runs of every worker
 * process are logged once, here. Lines carry ids, the step, the attempt, the duration and the error code; never
 * inputs, outputs or messages.
 */
export function startRunLog(options: { sql: Sql; logger: Logger; intervalMs?: number }): {
  stop(): Promise<void>;
} {
  const { sql, logger } = options;
  let stopped = false;
  let reading: Promise<void> = Promise.resolve();
  const cursor = createRunEventCursor<Transition>({
    sql,
    read: async (after, upTo) =>
      (await sql`
      select e.seq::text as seq, e.type, e.run_id, r.workflow_id, r.version, r.trigger_type,
        coalesce(e.payload->>'nodeId', e.payload->>'stepId') as node_id, e.payload->>'path' as path, (e.payload->>'attempt')::int as attempt,
        coalesce(e.payload#>>'{error,code}', case when e.type = 'run.failed' then r.error->>'code' end) as error_code,
        case when e.type in ('run.succeeded', 'run.failed', 'run.cancelled') and r.finished_at is not null
          then round(extract(epoch from r.finished_at - coalesce(r.started_at, r.created_at)) * 1000)::float8
        end as duration_ms,
        r.traceparent, r.trace_parent_id, r.created_at as started_at, r.finished_at
      from run_events e join runs r on r.id = e.run_id
      where e.seq > ${after.toString()}::bigint and e.seq <= ${upTo.toString()}::bigint
        and e.type in ('run.created', 'run.succeeded', 'run.failed', 'run.cancelled', 'run.retried', 'step.failed')
      order by e.seq`) as unknown as Transition[],
    handle: (row) => {
      logTransition(logger, row);
      // A finished run's span (tracing on) is recorded here, once, whichever worker ran its steps.
      if (FINISHED.has(row.type) && row.finishedAt)
        recordRunSpan({ ...row, status: row.type.slice('run.'.length), finishedAt: row.finishedAt });
    },
    batchSize: EVENTS_PER_READ,
    // Each tick reads every event there is; a stop ends it after the current batch.
    maxBatches: Number.POSITIVE_INFINITY,
    stopped: () => stopped,
  });
  const read = async () => {
    if (!stopped) await cursor.catchUp();
  };

  const timer = setInterval(() => {
    reading = reading
      .then(read)
      .catch((error: unknown) => logger.debug({ err: error }, 'run log: reading run events failed'));
  }, options.intervalMs ?? 1_000);
  timer.unref();
  reading = read().catch(() => {});
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await reading;
    },
  };
}

function logTransition(logger: Logger, row: Transition): void {
  const base = {
    event: row.type,
    runId: row.runId,
    workflowId: row.workflowId,
    version: row.version,
    traceId: traceIdOf(row.traceparent),
  };
  switch (row.type) {
    case 'run.created':
      logger.info({ ...base, trigger: row.triggerType }, 'run created');
      return;
    case 'run.succeeded':
      logger.info({ ...base, durationMs: row.durationMs }, 'run succeeded');
      return;
    case 'run.failed':
      logger.warn(
        {
          ...base,
          step: row.nodeId,
          path: row.path || undefined,
          errorCode: row.errorCode,
          durationMs: row.durationMs,
        },
        'run failed',
      );
      return;
    case 'run.cancelled':
      logger.info({ ...base, durationMs: row.durationMs }, 'run cancelled');
      return;
    case 'run.retried':
      logger.info(base, 'run retried');
      return;
    default:
      logger.warn(
        {
          ...base,
          step: row.nodeId,
          path: row.path || undefined,
          attempt: row.attempt,
          errorCode: row.errorCode,
        },
        'step failed',
      );
  }
}
