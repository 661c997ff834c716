import { z } from 'zod';
import type { VendorError } from '../sdk/rest/index.ts';
import type { GoogleAuth, GoogleProduct } from './credential.ts';
import { connectHint } from './credential.ts';

/**
 * Google's error body (https://cloud.google.com/apis/design/errors): `{ error: { code, message, status, errors,
 * details } }`; `errors[].reason` is the older per-API reason (Drive's `userRateLimitExceeded`), `details` the
 * google.rpc types (`ErrorInfo.reason`, `RetryInfo.retryDelay`).
 */
const GoogleErrorBody = z.object({
  error: z.object({
    code: z.number().int().optional(),
    message: z.string().max(4000).optional(),
    status: z.string().max(100).optional(),
    errors: z
      .array(z.object({ reason: z.string().max(100).optional(), message: z.string().optional() }).loose())
      .max(50)
      .optional(),
    details: z
      .array(
        z
          .object({
            '@type': z.string().optional(),
            reason: z.string().max(100).optional(),
            retryDelay: z.string().max(40).optional(),
          })
          .loose(),
      )
      .max(50)
      .optional(),
  }),
});

/** Reasons Google gives for a quota answered with 403 (Drive, Calendar) instead of 429. */
export const GOOGLE_RATE_LIMIT_REASONS: ReadonlySet<string> = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'dailyLimitExceeded',
  'quotaExceeded',
  'RATE_LIMIT_EXCEEDED',
]);
const SCOPE_REASONS = new Set(['insufficientPermissions', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT']);
const DISABLED_REASONS = new Set(['accessNotConfigured', 'SERVICE_DISABLED']);

/** `RetryInfo.retryDelay` is a protobuf Duration in JSON: "30s", "1.5s". */
function durationMs(value: string | undefined): number | undefined {
  const match = value ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** How to fix a 401/403 for the credential at hand, in the words of its kind. */
function authHint(
  kind: 'expired' | 'denied' | 'scope' | 'disabled',
  auth: GoogleAuth | undefined,
  product: GoogleProduct,
): string {
  const robot = auth?.kind === 'service-account' ? auth.credential.client_email : undefined;
  switch (kind) {
    case 'expired':
      return robot
        ? `Google refused the service account's token: the key may have been deleted or the account disabled. Create a new JSON key for ${robot} and store it again with \`vmesh credentials set NAME --type google-service-account\`.`
        : `Google refused the access token even after renewing it: the access was revoked or expired. ${connectHint(product)}`;
    case 'denied':
      return robot
        ? `The service account cannot open ${product.shared}: share it with ${robot} (Share → add that e-mail as Editor, or Viewer for reads).`
        : `The connected Google account cannot open ${product.shared}: share it with that account, or connect an account that has access.`;
    case 'scope':
      return robot
        ? `The service account's token lacks a scope: store the key again with "scopes": ${JSON.stringify(product.scopes)}.`
        : `The connected account did not grant the needed scope. ${connectHint(product)}`;
    case 'disabled':
      return `Enable the ${product.apiName} in the Google Cloud project of ${robot ? 'the service account' : 'the OAuth app'}: console → APIs & Services → Library → ${product.apiName} → Enable.`;
  }
}

/**
 * Reads a Google error body: the message, the vendor code (the status, or the reason for a quota or scope answer),
 * the wait RetryInfo asks for, and a hint for the credential at hand.
 */
export function googleVendorError(
  body: unknown,
  status: number,
  auth: GoogleAuth | undefined,
  product: GoogleProduct,
): VendorError | undefined {
  const parsed = GoogleErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const { message, status: statusName, errors, details } = parsed.data.error;
  const reasons = [
    ...(details ?? []).flatMap((detail) => (detail.reason ? [detail.reason] : [])),
    ...(errors ?? []).flatMap((error) => (error.reason ? [error.reason] : [])),
  ];
  const rateReason = reasons.find((reason) => GOOGLE_RATE_LIMIT_REASONS.has(reason));
  const retryAfterMs = (details ?? [])
    .map((detail) => durationMs(detail.retryDelay))
    .find((ms) => ms !== undefined);
  const base = {
    message,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
  if (status === 429 || rateReason) {
    return {
      ...base,
      vendorCode: rateReason ?? statusName ?? 'RESOURCE_EXHAUSTED',
      retryable: true,
      hint: `Google's quota for the ${product.apiName} is spent for now (per minute per user); the step is retried after a wait. Fewer calls per minute (batch rows into one call) avoid it.`,
    };
  }
  const vendorCode =
    reasons.find((reason) => SCOPE_REASONS.has(reason) || DISABLED_REASONS.has(reason)) ?? statusName;
  if (status === 401) return { ...base, vendorCode, hint: authHint('expired', auth, product) };
  if (status === 403) {
    const kind =
      reasons.some((reason) => SCOPE_REASONS.has(reason)) ||
      /insufficient authentication scopes/i.test(message ?? '')
        ? 'scope'
        : reasons.some((reason) => DISABLED_REASONS.has(reason))
          ? 'disabled'
          : 'denied';
    return { ...base, vendorCode, hint: authHint(kind, auth, product) };
  }
  return { ...base, vendorCode };
}
