import type { StepError } from './step-error.ts';

/** What waiting steps wait for; the transaction that records the wait starts it (job, approval, child run, items). */
export type WaitSpec =
  | { type: 'delay'; until: Date }
  | { type: 'approval'; message: string; approvers: string[] }
  | { type: 'subworkflow'; workflow: string; input: unknown }
  | { type: 'foreach'; items: unknown[]; concurrency: number };

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
  | { kind: 'wait'; input: unknown; wait: WaitSpec }
  /** A resumed step whose event has not happened yet (early wake-up, undecided approval): leave it as it is. */
  | { kind: 'pending'; requeueAt?: Date };

export type RespondValue = { status: number; body: unknown; headers?: Record<string, string> | undefined };
