import { describe, expect, it } from 'vitest';
import { connectorErrorFromStatus, retryAfterFromHeaders } from './connector-error.ts';

const now = Date.parse('2026-12-03T12:00:00Z');

describe('retryAfterFromHeaders', () => {
  it('reads Retry-After in seconds or as an HTTP date first', () => {
    expect(
      retryAfterFromHeaders(new Headers({ 'retry-after': '2', 'x-ratelimit-remaining': '0' }), now),
    ).toBe(2_000);
    expect(retryAfterFromHeaders(new Headers({ 'retry-after': 'Thu, 03 Dec 2026 12:00:05 GMT' }), now)).toBe(
      5_000,
    );
  });

  it('reads X-RateLimit-Reset (Unix seconds or seconds from now) only when nothing remains', () => {
    const reset = String(now / 1000 + 3);
    expect(
      retryAfterFromHeaders(new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), now),
    ).toBe(3_000);
    expect(
      retryAfterFromHeaders(new Headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': '4' }), now),
    ).toBe(4_000);
    expect(
      retryAfterFromHeaders(new Headers({ 'x-ratelimit-remaining': '7', 'x-ratelimit-reset': reset }), now),
    ).toBeUndefined();
    expect(
      retryAfterFromHeaders(new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'soon' }), now),
    ).toBeUndefined();
  });

  it('gives a 429 without Retry-After the wait of its rate-limit headers', () => {
    const headers = new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' });
    const error = connectorErrorFromStatus({ connector: 'http', status: 429, message: 'slow down', headers });
    expect(error).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 2_000 });
  });
});
