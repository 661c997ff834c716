import { AppError } from '../../lib/index.ts';

export type ConnectorErrorOptions = {
  code: string;
  message: string;
  retryable: boolean;
  hint?: string;
  /** HTTP status of the vendor's answer, when there was one. */
  status?: number;
  /** Wait at least this long before the next attempt (from Retry-After or the vendor's rate-limit headers). */
  retryAfterMs?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
};

/**
 * A failure of a connector call. `retryable` separates "try again later" (429, 5xx, timeouts) from
 * "change something first" (4xx, validation); the message and hint say what to change.
 */
export class ConnectorError extends AppError {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(options: ConnectorErrorOptions) {
    super({
      code: options.code,
      message: options.message,
      retryable: options.retryable,
      hint: options.hint,
      details: { ...(options.details ?? {}), ...(options.status ? { status: options.status } : {}) },
      cause: options.cause,
    });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Above this, an `X-RateLimit-Reset` is a Unix time in seconds (GitHub's style); below, seconds from now. */
const UNIX_SECONDS = 1_000_000_000;

/**
 * The wait a vendor's rate-limit headers ask for: `Retry-After` (seconds or an HTTP date), else, when
 * `X-RateLimit-Remaining` (or `RateLimit-Remaining`) is 0, the time until `X-RateLimit-Reset` / `RateLimit-Reset`.
 */
export function retryAfterFromHeaders(
  headers: { get(name: string): string | null } | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const remaining = headers.get('x-ratelimit-remaining') ?? headers.get('ratelimit-remaining');
  const reset = Number(headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset') ?? Number.NaN);
  if (remaining?.trim() !== '0' || !Number.isFinite(reset) || reset < 0) return undefined;
  return reset > UNIX_SECONDS ? Math.max(0, Math.round(reset * 1000 - now)) : Math.round(reset * 1000);
}

/** The shared HTTP status → retryability mapping every connector uses. */
export function connectorErrorFromStatus(input: {
  connector: string;
  status: number;
  message: string;
  retryAfter?: string | null;
  /** The response's headers: rate-limit headers (see retryAfterFromHeaders) when there is no `retryAfter`. */
  headers?: { get(name: string): string | null };
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
  /** The vendor's own word on retrying (its body says "try again" on a 400, or "permanent" on a 503). */
  retryable?: boolean;
  /** A wait the vendor gave elsewhere (its body), used when no header names one. */
  retryAfterMs?: number;
  /** The vendor's body names the failure better than the status (a GraphQL RATELIMITED on a 400). */
  code?: string;
}): ConnectorError {
  const { status } = input;
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  const code =
    input.code ??
    (status === 429
      ? 'E_RATE_LIMITED'
      : status === 401 || status === 403
        ? 'E_AUTH'
        : status === 404
          ? 'E_NOT_FOUND'
          : status >= 500
            ? 'E_UPSTREAM'
            : 'E_REQUEST');
  const defaultHint =
    status === 401 || status === 403
      ? `Check the ${input.connector} credential: it is missing, expired or lacks the needed permission.`
      : status === 404
        ? 'Check the ids and names in the parameters: the target does not exist or is not visible to this credential.'
        : retryable
          ? 'This is usually temporary; the step is retried with backoff.'
          : 'Change the parameters as the message says, then retry.';
  return new ConnectorError({
    code,
    message: `${input.connector}: ${input.message} (HTTP ${status})`,
    retryable: input.retryable ?? retryable,
    status,
    retryAfterMs:
      parseRetryAfter(input.retryAfter ?? null) ?? retryAfterFromHeaders(input.headers) ?? input.retryAfterMs,
    hint: input.hint ?? defaultHint,
    details: input.details,
    cause: input.cause,
  });
}
