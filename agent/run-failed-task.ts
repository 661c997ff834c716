import { z } from 'zod';
import type { Sql } from '../db/index.ts';
import { logger } from '../lib/logger.ts';
import type { ConversationService, HandleRunFailedResult } from './conversation-service.ts';

/** graphile-worker task name for self-healing; payload `{ runId }` (job_key `run_failed:<runId>`). */
export const RUN_FAILED_TASK = 'vmesh_run_failed';

export const RunFailedPayload = z.object({ runId: z.string().min(1).max(200) });
export type RunFailedPayload = z.infer<typeof RunFailedPayload>;

/**
 * The self-healing task for the engine's worker taskList: `(payload) => Promise<void>`. The payload is parsed at
 * run time (a queued job may be older than the code). Handling the same run twice is harmless (grouped).
 */
export function createRunFailedTask(service: ConversationService): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const { runId } = RunFailedPayload.parse(payload);
    const result = await service.handleRunFailed(runId);
    logger.info({ runId, status: result.status }, 'self-healing handled a failed run');
  };
}

const CURSOR = 'self-healing';

/**
 * Reads `run.failed` events from run_events after the stored cursor and hands each run to self-healing.
 * For deployments where the engine does not enqueue RUN_FAILED_TASK itself; call it periodically.
 * One caller at a time (an advisory lock); returns what it did.
 */
export async function drainRunFailures(
  sql: Sql,
  service: ConversationService,
  options: { batch?: number } = {},
): Promise<{ runId: string; result: HandleRunFailedResult }[]> {
  return sql.begin(async (tx) => {
    const [locked] =
      await tx`select pg_try_advisory_xact_lock(hashtextextended('agent:drain-run-failures', 0)) as ok`;
    if (!locked?.ok) return [];
    await tx`insert into agent_event_cursors (name) values (${CURSOR}) on conflict (name) do nothing`;
    const [cursor] = await tx`select last_seq from agent_event_cursors where name = ${CURSOR}`;
    const after = z.coerce.number().parse(cursor?.lastSeq ?? 0);
    const rows = await tx`
      select seq, run_id from run_events where type = 'run.failed' and seq > ${after} order by seq limit ${options.batch ?? 20}`;
    const done: { runId: string; result: HandleRunFailedResult }[] = [];
    for (const row of rows) {
      const event = z.object({ seq: z.coerce.number(), runId: z.string() }).parse(row);
      let result: HandleRunFailedResult;
      try {
        result = await service.handleRunFailed(event.runId);
      } catch (error) {
        logger.error({ err: error, runId: event.runId }, 'self-healing failed for a run');
        result = { status: 'skipped', reason: 'self-healing failed; see the log' };
      }
      done.push({ runId: event.runId, result });
      await tx`update agent_event_cursors set last_seq = ${event.seq}, updated_at = now() where name = ${CURSOR}`;
    }
    return done;
  });
}
