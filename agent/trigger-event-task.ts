import { logger } from '../lib/index.ts';
import { TriggerEventPayload } from '../runtime/index.ts';
import type { ConversationService } from './conversation-service.ts';

/** graphile-worker task name; the poll runtime queues it (payload `{ eventId }`) with `trigger.stalled`/`trigger.recovered`. */
export { TRIGGER_EVENT_TASK } from '../runtime/index.ts';

/**
 * Tells the conversation a workflow came from what its trigger reported (for the app's worker, beside the
 * self-healing task). A throw fails the job and graphile-worker retries it with backoff.
 */
export function createTriggerEventTask(service: ConversationService): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const { eventId } = TriggerEventPayload.parse(payload);
    const result = await service.handleTriggerEvent(eventId);
    logger.info({ eventId, status: result.status }, 'told a trigger event');
  };
}
