import type { Sql } from '../../db/index.ts';
import { logger } from '../../lib/index.ts';
import { startTriggeredRun } from './event-dispatch.ts';

/** What `trigger` holds in a run of a `chat` workflow. */
export type ChatTriggerData = {
  text: string;
  actor: { id: string };
  threadKey: string;
  conversationId: string;
};

/**
 * A message in a conversation starts one run of each active `chat` workflow made in that conversation
 * (`workflows.conversation_ref`), with the message as trigger data. Failures are logged, never thrown: the
 * agent still answers the message.
 */
export async function dispatchChatMessage(sql: Sql, message: ChatTriggerData): Promise<{ runIds: string[] }> {
  const rows = await sql`
    select id from workflows
    where trigger_type = 'chat' and conversation_ref = ${message.conversationId} and active and deleted_at is null
    order by created_at`;
  const runIds: string[] = [];
  for (const row of rows) {
    const workflowId = String(row.id);
    try {
      const runId = await startTriggeredRun(sql, workflowId, message, {
        triggerType: 'chat',
        dedupeKey: undefined,
      });
      if (runId) runIds.push(runId);
    } catch (error) {
      logger.error({ err: error, workflowId }, 'could not start a run for a chat message');
    }
  }
  return { runIds };
}
