import type { StepError } from '../engine/step-error.ts';

export type RespondValue = { status: number; body: unknown; headers?: Record<string, string> | undefined };

/** The result of one execution of one node. */
export type Outcome =
  | {
      kind: 'succeeded';
      input: unknown;
      output: unknown;
      branch?: string | undefined;
      respond?: RespondValue;
    }
  | { kind: 'failed'; input: unknown; error: StepError }
  /**
   * The step waits: the transaction that records it calls the node's `begin` with `wait` (a value only that
   * node reads). `wakeAt`, `state` and `output` are stored on the waiting step as they are.
   */
  | { kind: 'wait'; input: unknown; wait: unknown; wakeAt?: Date; state?: unknown; output?: unknown }
  /** A resumed step whose event has not happened yet (early wake-up, undecided approval): leave it as it is. */
  | { kind: 'pending'; requeueAt?: Date };
