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
 * Each event is claimed in a short transaction (the cursor row is locked, SKIP LOCKED, so concurrent drains
 * take different events) and handled afterwards, so no connection is held while the model works. An event whose
 * handling crashes is logged and not retried (at most once; identical failures are grouped anyway).
 */
export async function drainRunFailures(
  sql: Sql,
  service: ConversationService,
  options: { batch?: number } = {},
): Promise<{ runId: string; result: HandleRunFailedResult }[]> {
  await sql`insert into agent_event_cursors (name) values (${CURSOR}) on conflict (name) do nothing`;
  const done: { runId: string; result: HandleRunFailedResult }[] = [];
  for (let n = 0; n < (options.batch ?? 20); n++) {
    const claimed = await sql.begin(async (tx) => {
      const [cursor] =
        await tx`select last_seq from agent_event_cursors where name = ${CURSOR} for update skip locked`;
      if (!cursor) return undefined;
      const after = z.coerce.number().parse(cursor.lastSeq);
      const [row] = await tx`
        select seq, run_id from run_events where type = 'run.failed' and seq > ${after} order by seq limit 1`;
      if (!row) return undefined;
      const event = z.object({ seq: z.coerce.number(), runId: z.string() }).parse(row);
      await tx`update agent_event_cursors set last_seq = ${event.seq}, updated_at = now() where name = ${CURSOR}`;
      return event;
    });
    if (!claimed) break;
    let result: HandleRunFailedResult;
    try {
      result = await service.handleRunFailed(claimed.runId);
    } catch (error) {
      logger.error({ err: error, runId: claimed.runId }, 'self-healing failed for a run');
      result = { status: 'skipped', reason: 'self-healing failed; see the log' };
    }
    done.push({ runId: claimed.runId, result });
  }
  return done;
}
