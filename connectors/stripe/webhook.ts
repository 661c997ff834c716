import { createHmac, timingSafeEqual } from 'node:crypto';

/** Stripe's default tolerance: a signature older (or newer) than five minutes is refused as a replay. */
export const STRIPE_SIGNATURE_TOLERANCE_S = 300;
const MAX_HEADER_LENGTH = 4096;
const MAX_SIGNATURES = 16;

/**
 * Checks a `Stripe-Signature` header (`t=<unix seconds>,v1=<hex>,v1=<hex>,v0=…`): some v1 must be the hex
 * HMAC-SHA256 of `<t>.<raw body>` with the endpoint's signing secret (whsec_…), compared in constant time, and `t`
 * within the tolerance of now.
 */
export function verifyStripeSignature(
  rawBody: Buffer,
  header: string | undefined,
  secret: string,
  nowMs = Date.now(),
): boolean {
  if (!header || !secret || header.length > MAX_HEADER_LENGTH) return false;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (name === 'v1' && value && /^[0-9a-f]{64}$/i.test(value) && signatures.length < MAX_SIGNATURES) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  if (Math.abs(nowMs / 1000 - timestamp) > STRIPE_SIGNATURE_TOLERANCE_S) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  let matched = false;
  for (const signature of signatures) {
    if (signature.length === expected.length && timingSafeEqual(signature, expected)) matched = true;
  }
  return matched;
}

/** A `Stripe-Signature` header for a body, as Stripe signs deliveries (tests, replays). */
export function signStripePayload(rawBody: Buffer | string, secret: string, nowMs = Date.now()): string {
  const timestamp = Math.floor(nowMs / 1000);
  const signature = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}
