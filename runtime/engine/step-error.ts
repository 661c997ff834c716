import { AppError, redactSecrets, redactString } from '../../lib/index.ts';

/** How a step failure is stored (steps.error, runs.error, events): redacted, JSON only. */
export type StepError = {
  code: string;
  message: string;
  hint?: string;
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
};

export function toStepError(error: unknown): StepError {
  if (error instanceof AppError) {
    const status = (error as { status?: unknown }).status;
    const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
    return redactSecrets({
      code: error.code,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      retryable: error.retryable,
      ...(typeof status === 'number' ? { status } : {}),
      ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
      ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'E_STEP',
    message: redactString(message),
    hint: 'An unexpected error; it is retried if the node allows more attempts.',
    retryable: true,
  };
}

/**
 * Backoff before attempt `attempt + 1`: exponential from `initialDelayMs` (default 1 s), capped by `maxDelayMs`
 * (default 5 min), with "equal jitter" (half fixed, half random); never sooner than a Retry-After the action reported.
 */
export function backoffDelayMs(
  attempt: number,
  policy: { initialDelayMs?: number | undefined; maxDelayMs?: number | undefined },
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const initial = policy.initialDelayMs ?? 1_000;
  const ceiling = policy.maxDelayMs ?? 300_000;
  const exponential = Math.min(ceiling, initial * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}
