import type { Sql } from '../../db/index.ts';
import { getPollStatus, type PollStatus } from './poll-state.ts';
import { type SubscriptionView, subscriptionView } from './subscriptions.ts';

/**
 * How a workflow's trigger is doing, for every view of the workflow (API, CLI, the agent): a poll trigger's
 * progress and failures while active, and a self-registered subscription's state. Never a secret.
 */
export type TriggerHealth = { poll?: PollStatus; subscription: SubscriptionView | null };

export async function triggerHealth(sql: Sql, workflowId: string): Promise<TriggerHealth> {
  const [poll, subscription] = await Promise.all([
    getPollStatus(sql, workflowId),
    subscriptionView(sql, workflowId),
  ]);
  return { ...(poll ? { poll } : {}), subscription };
}
