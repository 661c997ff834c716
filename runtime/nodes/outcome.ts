import type { StepError } from '../engine/step-error.ts';

export type RespondValue = { status: number; body: unknown; headers?: Record<string, string> | undefined };

/** What one execution consumed, recorded with the step (steps.usage). */
export type StepUsage = {
  /** CPU time of the core.code sandbox process, ms. */
  sandboxCpuMs?: number | undefined;
  /** An llm.* action's model call: the model as "provider:model" and the tokens the provider reported. */
  llm?: { model: string; inputTokens: number; outputTokens: number } | undefined;
};

/** The result of one execution of one node. */
export type Outcome =
  | {
      kind: 'succeeded';
      input: unknown;
      output: unknown;
      branch?: string | undefined;
      respond?: RespondValue;
      usage?: StepUsage | undefined;
    }
  | { kind: 'failed'; input: unknown; error: StepError; usage?: StepUsage | undefined }
  /**
   * The step waits: the transaction that records it calls the node's `begin` with `wait` (a value only that
   * node reads). `wakeAt`, `state` and `output` are stored on the waiting step as they are.
   */
  | { kind: 'wait'; input: unknown; wait: unknown; wakeAt?: Date; state?: unknown; output?: unknown }
  /** A resumed step whose event has not happened yet (early wake-up, undecided approval): leave it as it is. */
  | { kind: 'pending'; requeueAt?: Date };
