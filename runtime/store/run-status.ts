import { z } from 'zod';

/** A run's status (the `runs.status` check constraint in db/migrations/1000_engine.sql). */
export const RunStatus = z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;

/** A step's status (the `steps.status` check constraint): `retrying` waits for its next attempt, `skipped` lost its branch. */
export const StepStatus = z.enum([
  'queued',
  'running',
  'retrying',
  'waiting',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
]);
export type StepStatus = z.infer<typeof StepStatus>;

/** Runs that can still change: they hold steps to run or wait for something. As a list for SQL `in ${sql(…)}`. */
export const LIVE_RUN_LIST = ['queued', 'running', 'waiting'] as const satisfies readonly RunStatus[];
/** Runs that are over: nothing changes them again (a rerun is a new run). */
export const SETTLED_RUN_LIST = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];
/** Steps that still hold work: a live run's cancellation or failure cancels them. */
export const LIVE_STEP_LIST = [
  'queued',
  'running',
  'retrying',
  'waiting',
] as const satisfies readonly StepStatus[];
/** Steps that are done for their scope: downstream steps may resolve on them. */
export const STEP_TERMINAL_LIST = ['succeeded', 'failed', 'skipped'] as const satisfies readonly StepStatus[];

export const LIVE_RUN: ReadonlySet<string> = new Set<string>(LIVE_RUN_LIST);
export const SETTLED_RUN: ReadonlySet<string> = new Set<string>(SETTLED_RUN_LIST);
export const STEP_TERMINAL: ReadonlySet<string> = new Set<string>(STEP_TERMINAL_LIST);

/** A run that will not move on its own: settled, or waiting for a signal, an approval or a timer. */
export const isResting = (status: string): boolean => status === 'waiting' || SETTLED_RUN.has(status);
