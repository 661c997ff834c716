import type { ConnectorDefinition } from '../../connectors/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import type { NodeRunnerDeps } from '../engine/node-runner.ts';
import type { WorkerTasks } from '../engine/worker.ts';
import {
  POLL_RESYNC_CRONTAB,
  POLL_RESYNC_TASK,
  POLL_TASK,
  resyncPollJobs,
  runPollJob,
  syncPoll,
} from './poll.ts';
import { runScheduleJob, SCHEDULE_TASK, syncSchedule } from './schedule.ts';
import { runSubscriptionJob, SUBSCRIPTION_TASK, syncSubscription } from './subscriptions.ts';
import { runWorkflowFailedJob, WORKFLOW_FAILED_TASK } from './workflow-failed.ts';

/**
 * What a kind of trigger needs from the runtime besides starting runs: side effects kept in step with a
 * workflow's activation, versions and deletion (`sync`), and the worker tasks that fire it (`tasks`).
 * Webhook triggers need neither to start runs (a delivery names its workflow in the URL), nor do event triggers (a front-end
 * hands the event over and the active workflows of that trigger type are looked up).
 */
export type TriggerKindRuntime = {
  kind: string;
  /**
   * Called after every change to the workflow (it may have been deactivated, deleted, or changed trigger): must
   * remove what it planned when the workflow no longer has this kind of trigger.
   */
  sync?(
    sql: Sql | TransactionSql,
    workflowId: string,
    connectors: readonly ConnectorDefinition[],
  ): Promise<void>;
  tasks?(deps: NodeRunnerDeps): WorkerTasks;
  /** graphile-worker crontab lines of its periodic tasks (one run per slot across workers). */
  crontab?: string;
};

const scheduleKind: TriggerKindRuntime = {
  kind: 'schedule',
  async sync(sql, workflowId) {
    await syncSchedule(sql, workflowId);
  },
  tasks: (deps) => ({ [SCHEDULE_TASK]: (payload) => runScheduleJob(deps.sql, payload) }),
};

const pollKind: TriggerKindRuntime = {
  kind: 'poll',
  sync: (sql, workflowId, connectors) => syncPoll(sql, connectors, workflowId),
  tasks: (deps) => ({
    [POLL_TASK]: (payload) => runPollJob(deps, payload),
    [POLL_RESYNC_TASK]: async () => {
      const restored = await resyncPollJobs(deps.sql, deps.connectors);
      if (restored.length) deps.logger.warn({ workflows: restored }, 'poll jobs restored');
    },
  }),
  crontab: POLL_RESYNC_CRONTAB,
};

/**
 * Webhook triggers that register their hook at the vendor (`subscription` on the trigger): the vendor-side
 * subscription follows activation, versions and deletion through one reconciling job per workflow.
 */
const subscriptionKind: TriggerKindRuntime = {
  kind: 'subscription',
  sync: (sql, workflowId, connectors) => syncSubscription(sql, connectors, workflowId),
  tasks: (deps) => ({ [SUBSCRIPTION_TASK]: (payload) => runSubscriptionJob(deps, payload) }),
};

/** Fired by the engine: failRun queues WORKFLOW_FAILED_TASK in the failing transaction; nothing to plan. */
const workflowFailedKind: TriggerKindRuntime = {
  kind: 'workflow.failed',
  tasks: (deps) => ({ [WORKFLOW_FAILED_TASK]: (payload) => runWorkflowFailedJob(deps.sql, payload) }),
};

export const triggerKinds: readonly TriggerKindRuntime[] = [
  scheduleKind,
  pollKind,
  subscriptionKind,
  workflowFailedKind,
];

/**
 * The workflow service's onTriggerChange hook: brings every trigger kind's side effects (schedule tick, poll job, webhook subscription)
 * in line with the workflow as stored now.
 */
export function triggerSync(
  connectors: readonly ConnectorDefinition[],
): (sql: Sql | TransactionSql, workflowId: string) => Promise<void> {
  return async (sql, workflowId) => {
    for (const kind of triggerKinds) await kind.sync?.(sql, workflowId, connectors);
  };
}

/** The crontab lines of every trigger kind, one per line. */
export function triggerCrontab(): string {
  return triggerKinds.flatMap((kind) => (kind.crontab ? [kind.crontab] : [])).join('\n');
}

/** The graphile-worker tasks of every trigger kind, to spread into the worker's task list. */
export function triggerTasks(deps: NodeRunnerDeps): WorkerTasks {
  return Object.assign({}, ...triggerKinds.map((kind) => kind.tasks?.(deps) ?? {}));
}
