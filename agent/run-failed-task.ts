import { z } from 'zod';
import { logger } from '../lib/index.ts';
import type { ConversationService } from './conversation-service.ts';

/** graphile-worker task name for self-healing; the engine enqueues it (payload `{ runId }`) when a run fails. */
export { RUN_FAILED_TASK } from '../runtime/index.ts';

export const RunFailedPayload = z.object({ runId: z.string().min(1).max(200) });
export type RunFailedPayload = z.infer<typeof RunFailedPayload>;

/**
 * The self-healing task for the engine's worker (`startWorker({ tasks })`). The payload is parsed at run time (a
 * queued job may be older than the code). A throw fails the job and graphile-worker retries it with backoff;
 * handling the same run twice is harmless (grouped).
 */
export function createRunFailedTask(service: ConversationService): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const { runId } = RunFailedPayload.parse(payload);
    const result = await service.handleRunFailed(runId);
    logger.info({ runId, status: result.status }, 'self-healing handled a failed run');
  };
}
