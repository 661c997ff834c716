import { describe, expect, it } from 'vitest';
import { settleOutcome } from './settle-outcome.ts';
import type { StepError } from './step-error.ts';

const clock = { now: Date.parse('2030-01-01T00:00:00Z'), random: () => 0.5 };
const retryable: StepError = { code: 'E_HTTP', message: 'busy', retryable: true };
const permanent: StepError = { code: 'E_PARAMS', message: 'bad', retryable: false };

describe('settleOutcome (no database)', () => {
  it('records a success with its branch and output', () => {
    expect(
      settleOutcome({ kind: 'succeeded', input: 1, output: { ok: 1 }, branch: 'true' }, {}, 1, clock),
    ).toEqual({
      status: 'succeeded',
      branch: 'true',
      output: { ok: 1 },
      error: null,
      wakeAt: null,
      state: null,
      fatal: false,
    });
  });

  it('keeps what a waiting step stores: wake-up time, state and placeholder output', () => {
    const wakeAt = new Date(clock.now + 60_000);
    const settled = settleOutcome(
      { kind: 'wait', input: null, wait: {}, wakeAt, state: { total: 2 }, output: [null, null] },
      {},
      1,
      clock,
    );
    expect(settled).toMatchObject({ status: 'waiting', wakeAt, state: { total: 2 }, output: [null, null] });
    expect(settleOutcome({ kind: 'wait', input: null, wait: {} }, {}, 1, clock)).toMatchObject({
      status: 'waiting',
      wakeAt: null,
      state: null,
      output: null,
    });
  });

  it('retries a retryable failure with backoff until the attempts run out', () => {
    const failed = { kind: 'failed', input: null, error: retryable } as const;
    const first = settleOutcome(failed, {}, 1, clock);
    expect(first.status).toBe('retrying');
    // Equal jitter with random 0.5: three quarters of the 1 s initial delay.
    expect(first.wakeAt?.getTime()).toBe(clock.now + 750);
    expect(first.fatal).toBe(false);
    expect(settleOutcome(failed, {}, 3, clock)).toMatchObject({ status: 'failed', fatal: true });
    expect(settleOutcome(failed, { retry: { maxAttempts: 5 } }, 4, clock).status).toBe('retrying');
    expect(
      settleOutcome(
        { ...failed, error: { ...retryable, retryAfterMs: 10_000 } },
        {},
        1,
        clock,
      ).wakeAt?.getTime(),
    ).toBe(clock.now + 10_000);
  });

  it('follows onError for a final failure: fail the run, route to "error", or continue', () => {
    const failed = { kind: 'failed', input: null, error: permanent } as const;
    expect(settleOutcome(failed, {}, 1, clock)).toMatchObject({
      status: 'failed',
      branch: null,
      error: permanent,
      fatal: true,
    });
    expect(settleOutcome(failed, { onError: 'route' }, 1, clock)).toMatchObject({
      branch: 'error',
      fatal: false,
    });
    expect(settleOutcome(failed, { onError: 'continue' }, 1, clock)).toMatchObject({
      branch: null,
      fatal: false,
    });
  });
});
