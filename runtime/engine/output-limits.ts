// How much a step and a run may store as outputs, and the outcome of a step whose output breaks a limit.
import { AppError, redactSecrets } from '../../lib/index.ts';
import type { Outcome } from '../nodes/outcome.ts';
import { toStepError } from './step-error.ts';
import { type StoredJson, toStoredJson, UnstorableValueError, unstorableOutputError } from './stored-json.ts';

export type OutputLimits = {
  /** Largest serialised output of one step (env VMESH_STEP_OUTPUT_MAX_BYTES, default 1 MiB). */
  stepBytes: number;
  /** Largest total of a run's stored step outputs (env VMESH_RUN_OUTPUT_MAX_BYTES, default 16 MiB). */
  runBytes: number;
};

const MIB = 1024 * 1024;
export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { stepBytes: MIB, runBytes: 16 * MIB };

const positive = (value: string | undefined, fallback: number) => {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? Math.floor(parsed) : fallback;
};

export function outputLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): OutputLimits {
  return {
    stepBytes: positive(env.VMESH_STEP_OUTPUT_MAX_BYTES, DEFAULT_OUTPUT_LIMITS.stepBytes),
    runBytes: positive(env.VMESH_RUN_OUTPUT_MAX_BYTES, DEFAULT_OUTPUT_LIMITS.runBytes),
  };
}

let cached: { key: string; limits: OutputLimits } | undefined;

/** The limits of this process's environment (read again when the variables change, e.g. in a test). */
export function currentOutputLimits(): OutputLimits {
  const key = `${process.env.VMESH_STEP_OUTPUT_MAX_BYTES}:${process.env.VMESH_RUN_OUTPUT_MAX_BYTES}`;
  if (cached?.key !== key) cached = { key, limits: outputLimitsFromEnv() };
  return cached.limits;
}

const LARGE_DATA_HINT =
  "Return less: select the fields you need (a core.transform, or the action's own filters and paging). Large data belongs in files, which a later version will support; until then split the work into smaller steps or runs.";

const megabytes = (bytes: number) => `${(bytes / MIB).toFixed(bytes < MIB ? 2 : 1)} MiB`;

export function stepOutputTooLarge(nodeId: string, bytes: number, limit: number): AppError {
  return new AppError({
    code: 'E_OUTPUT_TOO_LARGE',
    message: `The output of step "${nodeId}" is ${megabytes(bytes)} serialised; a step may store at most ${megabytes(limit)} (VMESH_STEP_OUTPUT_MAX_BYTES).`,
    retryable: false,
    hint: LARGE_DATA_HINT,
    details: { bytes, limit },
  });
}

export function runOutputTooLarge(nodeId: string, limit: number): AppError {
  return new AppError({
    code: 'E_RUN_OUTPUT_TOO_LARGE',
    message: `Storing the output of step "${nodeId}" would take this run's step outputs past ${megabytes(limit)} in total (VMESH_RUN_OUTPUT_MAX_BYTES).`,
    retryable: false,
    hint: LARGE_DATA_HINT,
    details: { limit },
  });
}

/** An outcome whose output was serialised (once) and checked against the step limit, ready to be recorded. */
export type CheckedOutcome = { outcome: Outcome; output: StoredJson | null };

/**
 * Redacts the outcome's output, serialises it and checks it: every node kind's output passes here before anything
 * reads or records it (later steps, the steps table, the run's output), so a target that echoes a credential in a
 * successful answer leaves no secret anywhere. An output that cannot be stored or is over the step limit turns the
 * outcome into a non-retryable failure (E_OUTPUT_UNSTORABLE, E_OUTPUT_TOO_LARGE), before anything is sent.
 */
export function checkOutput(nodeId: string, ran: Outcome, limits: OutputLimits): CheckedOutcome {
  if (ran.kind === 'pending' || ran.kind === 'failed') return { outcome: ran, output: null };
  if (ran.output === null || ran.output === undefined) return { outcome: ran, output: null };
  const value: unknown = redactSecrets(ran.output);
  const outcome = { ...ran, output: value };
  let stored: StoredJson;
  try {
    stored = toStoredJson(value);
  } catch (error) {
    if (!(error instanceof UnstorableValueError)) throw error;
    return failed(outcome, unstorableOutputError(nodeId, error.reason));
  }
  if (stored.bytes > limits.stepBytes)
    return failed(outcome, stepOutputTooLarge(nodeId, stored.bytes, limits.stepBytes));
  return { outcome, output: stored };
}

function failed(outcome: Exclude<Outcome, { kind: 'pending' }>, error: AppError): CheckedOutcome {
  return {
    outcome: { kind: 'failed', input: outcome.input ?? null, error: toStepError(error) },
    output: null,
  };
}
