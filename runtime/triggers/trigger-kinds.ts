import type { Sql, TransactionSql } from '../../db/index.ts';
import type { WorkerTasks } from '../engine/worker.ts';
import { runScheduleJob, SCHEDULE_TASK, syncSchedule } from './schedule.ts';

/**
 * What a kind of trigger needs from the runtime besides starting runs: side effects kept in step with a
 * workflow's activation, versions and deletion (`sync`), and the worker tasks that fire it (`tasks`).
 * Webhook triggers need neither (a delivery names its workflow in the URL), nor do event triggers (a front-end
 * hands the event over and the active workflows of that trigger type are looked up).
 */
export type TriggerKindRuntime = {
  kind: string;
  /** Called after every change to the workflow (it may have been deactivated, deleted, or changed trigger). */
  sync?(sql: Sql | TransactionSql, workflowId: string): Promise<void>;
  tasks?(sql: Sql): WorkerTasks;
};

const scheduleKind: TriggerKindRuntime = {
  kind: 'schedule',
  async sync(sql, workflowId) {
    await syncSchedule(sql, workflowId);
  },
  tasks: (sql) => ({ [SCHEDULE_TASK]: (payload) => runScheduleJob(sql, payload) }),
};

export const triggerKinds: readonly TriggerKindRuntime[] = [scheduleKind];

/**
 * Brings every trigger kind's side effects in line with the workflow as stored now (the schedule job today).
 * Each kind's sync removes what it planned when the workflow no longer has that kind of trigger.
 */
export async function syncTriggers(sql: Sql | TransactionSql, workflowId: string): Promise<void> {
  for (const kind of triggerKinds) await kind.sync?.(sql, workflowId);
}

/** The graphile-worker tasks of every trigger kind, to spread into the worker's task list. */
export function triggerTasks(sql: Sql): WorkerTasks {
  return Object.assign({}, ...triggerKinds.map((kind) => kind.tasks?.(sql) ?? {}));
}
