import type { Outcome } from '../nodes/outcome.ts';
import type { WorkflowNode } from '../workflow/document.ts';
import { backoffDelayMs, type StepError } from './step-error.ts';

/** What a step's row becomes after one execution, and whether its failure fails the run. */
export type StepSettlement = {
  status: 'succeeded' | 'waiting' | 'retrying' | 'failed';
  branch: string | null;
  output: unknown;
  error: StepError | null;
  /** When a retrying step's job runs again, or a waiting step wakes up. */
  wakeAt: Date | null;
  state: unknown;
  /** A final failure under onError "fail": the run fails with it. */
  fatal: boolean;
};

/**
 * The per-outcome decision of recording a step: succeeded, waiting, retrying (with its backoff) or failed (routed
 * to "error", continued, or fatal). Pure: the clock gives the time a retry delay counts from and its jitter.
 */
export function settleOutcome(
  outcome: Exclude<Outcome, { kind: 'pending' }>,
  node: Pick<WorkflowNode, 'retry' | 'onError'>,
  attempt: number,
  clock: { now: number; random: () => number } = { now: Date.now(), random: Math.random },
): StepSettlement {
  const settled = { branch: null, output: null, error: null, wakeAt: null, state: null, fatal: false };
  if (outcome.kind === 'succeeded')
    return { ...settled, status: 'succeeded', branch: outcome.branch ?? null, output: outcome.output };
  if (outcome.kind === 'wait') {
    return {
      ...settled,
      status: 'waiting',
      wakeAt: outcome.wakeAt ?? null,
      state: outcome.state ?? null,
      output: outcome.output ?? null,
    };
  }
  const { error } = outcome;
  const maxAttempts = node.retry?.maxAttempts ?? 3;
  if (error.retryable && attempt < maxAttempts) {
    const delayMs = backoffDelayMs(attempt, node.retry ?? {}, error.retryAfterMs, clock.random);
    return { ...settled, status: 'retrying', error, wakeAt: new Date(clock.now + delayMs) };
  }
  const policy = node.onError ?? 'fail';
  return {
    ...settled,
    status: 'failed',
    error,
    branch: policy === 'route' ? 'error' : null,
    fatal: policy === 'fail',
  };
}
