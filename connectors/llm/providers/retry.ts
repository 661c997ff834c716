import { ModelError } from './model-error.ts';

export type RetryPolicy = {
  /** Attempts in all (the first call included). One budget per model call: the SDKs' own retries are off. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or the budget is spent.
 * Retryable ModelErrors (429, 5xx, connection) wait for Retry-After when the provider sent one,
 * else exponential backoff — capped by maxDelayMs either way.
 */
export async function withModelRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  signal?: AbortSignal,
): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ModelError) || !error.retryable || n >= policy.maxAttempts) throw error;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      const wait = Math.min(policy.maxDelayMs, error.retryAfterMs ?? backoff);
      await sleep(wait, signal);
    }
  }
}
