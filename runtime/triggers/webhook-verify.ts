import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far `x-vmesh-timestamp` may be from this server's clock, either way. */
export const SIGNATURE_WINDOW_SECONDS = 300;

export type HookVerdict =
  | { ok: true }
  | { ok: false; code: 'E_UNAUTHORIZED' | 'E_STALE_SIGNATURE'; message: string; hint: string };

/**
 * What the timestamped form signs starts with this tag, so its MAC inputs never equal a raw body the plain form
 * would sign (the plain form refuses bodies that could be one, see AMBIGUOUS_PLAIN_BODY): a captured timestamped
 * delivery cannot be replayed as an untimestamped one.
 */
export const TIMESTAMPED_TAG = 'v1:';
/** Raw bodies the plain form refuses: they spell a timestamped MAC input, now (`v1:<ts>.`) or before (`<ts>.`). */
const AMBIGUOUS_PLAIN_BODY = /^(?:v1:)?\d{1,12}\./;

const SIGNATURE_HINT =
  'Send x-vmesh-timestamp: <unix seconds> with x-vmesh-signature: sha256=<hex HMAC-SHA256 of "v1:<timestamp>.<raw body>">, ' +
  'or x-vmesh-signature: sha256=<hex HMAC-SHA256 of the raw body>, or x-vmesh-secret. The secret is in GET /api/workflows/:id.';

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function hmac(secret: string, parts: readonly (string | Buffer)[]): string {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return `sha256=${mac.digest('hex')}`;
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks a webhook request against the workflow's valid secrets (the current one, plus the previous one during a
 * rotation's grace period). Three accepted forms:
 * - `x-vmesh-timestamp` + `x-vmesh-signature: sha256=HMAC(secret, "v1:<ts>.<raw body>")`: the timestamp must be
 *   within SIGNATURE_WINDOW_SECONDS of now (a captured request cannot be replayed later). When the timestamp header
 *   is present, only this form of signature is accepted.
 * - `x-vmesh-signature: sha256=HMAC(secret, raw body)` without a timestamp (the original contract; replays are
 *   only stopped by delivery-id dedupe). A body that starts like a timestamped MAC input (`v1:<digits>.` or
 *   `<digits>.`) is refused in this form: it could be a timestamped delivery's signature replayed without its
 *   timestamp.
 * - `x-vmesh-secret: <secret>` (simple senders that cannot sign).
 */
export function checkHookSignature(
  secrets: readonly string[],
  headers: Record<string, unknown>,
  rawBody: Buffer,
  nowMs: number = Date.now(),
): HookVerdict {
  const given = header(headers, 'x-vmesh-secret');
  if (given !== undefined && secrets.some((secret) => safeEqual(given, secret))) return { ok: true };
  const signature = header(headers, 'x-vmesh-signature');
  const timestamp = header(headers, 'x-vmesh-timestamp');
  if (timestamp !== undefined) {
    if (!/^\d{1,12}$/.test(timestamp)) {
      return {
        ok: false,
        code: 'E_UNAUTHORIZED',
        message: `x-vmesh-timestamp "${timestamp.slice(0, 40)}" is not a whole number of seconds since 1970.`,
        hint: 'Send the current Unix time in seconds, e.g. Math.floor(Date.now() / 1000).',
      };
    }
    const skew = Math.floor(nowMs / 1000) - Number(timestamp);
    if (Math.abs(skew) > SIGNATURE_WINDOW_SECONDS) {
      return {
        ok: false,
        code: 'E_STALE_SIGNATURE',
        message:
          skew > 0
            ? `x-vmesh-timestamp is ${skew} s old; signatures are accepted for ${SIGNATURE_WINDOW_SECONDS} s.`
            : `x-vmesh-timestamp is ${-skew} s in the future; at most ${SIGNATURE_WINDOW_SECONDS} s of clock skew is accepted.`,
        hint: "Sign each delivery when it is sent, with the sender's clock in sync (NTP).",
      };
    }
    if (signature !== undefined) {
      if (
        secrets.some((secret) =>
          safeEqual(signature, hmac(secret, [TIMESTAMPED_TAG, timestamp, '.', rawBody])),
        )
      )
        return { ok: true };
      if (secrets.some((secret) => safeEqual(signature, hmac(secret, [timestamp, '.', rawBody])))) {
        return {
          ok: false,
          code: 'E_UNAUTHORIZED',
          message:
            'This signature is over "<timestamp>.<raw body>", the timestamped form before v1; it is no longer accepted.',
          hint: `Sign "${TIMESTAMPED_TAG}<timestamp>.<raw body>" instead (HMAC-SHA256 with the hook secret).`,
        };
      }
    }
  } else if (signature?.startsWith('sha256=')) {
    if (AMBIGUOUS_PLAIN_BODY.test(rawBody.subarray(0, 16).toString('latin1'))) {
      return {
        ok: false,
        code: 'E_UNAUTHORIZED',
        message:
          'A body starting with "<digits>." or "v1:<digits>." cannot be signed without x-vmesh-timestamp: it reads like a timestamped signature replayed without its timestamp.',
        hint: 'Sign with x-vmesh-timestamp (the timestamped form), or send x-vmesh-secret.',
      };
    }
    if (secrets.some((secret) => safeEqual(signature, hmac(secret, [rawBody])))) return { ok: true };
  }
  return {
    ok: false,
    code: 'E_UNAUTHORIZED',
    message: 'Missing or wrong webhook secret or signature.',
    hint: SIGNATURE_HINT,
  };
}

/** Signs a body the way checkHookSignature expects (timestamped form); for senders, tests and benches. */
export function signHookBody(
  secret: string,
  rawBody: string | Buffer,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): { 'x-vmesh-timestamp': string; 'x-vmesh-signature': string } {
  const timestamp = String(timestampSeconds);
  return {
    'x-vmesh-timestamp': timestamp,
    'x-vmesh-signature': hmac(secret, [TIMESTAMPED_TAG, timestamp, '.', rawBody]),
  };
}
