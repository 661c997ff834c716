import { logger } from '../lib/index.ts';
import { CredentialEventPayload } from '../runtime/index.ts';
import type { ConversationService } from './conversation-service.ts';

/** graphile-worker task name; the runtime queues it (payload `{ eventId }`) with credential.needs_reconnect/connected. */
export { CREDENTIAL_EVENT_TASK } from '../runtime/index.ts';

/**
 * Tells the conversations of the workflows that use a credential what happened to it (for the app's worker). A
 * throw fails the job and graphile-worker retries it with backoff.
 */
export function createCredentialEventTask(service: ConversationService): (payload: unknown) => Promise<void> {
  return async (payload) => {
    const { eventId } = CredentialEventPayload.parse(payload);
    const result = await service.handleCredentialEvent(eventId);
    logger.info({ eventId, status: result.status }, 'told a credential event');
  };
}
