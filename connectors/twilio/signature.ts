import { createHmac, timingSafeEqual } from 'node:crypto';

/** Form parameters in Twilio's signing order: sorted by name (byte order), each as name then value. */
export function twilioSignedText(url: string, params: readonly (readonly [string, string])[]): string {
  const sorted = [...params].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return url + sorted.map(([name, value]) => `${name}${value}`).join('');
}

/** `X-Twilio-Signature`: base64 HMAC-SHA1 with the auth token of the URL Twilio called plus the sorted form. */
export function signTwilioRequest(
  authToken: string,
  url: string,
  params: readonly (readonly [string, string])[],
): string {
  return createHmac('sha1', authToken).update(twilioSignedText(url, params)).digest('base64');
}

/** Whether `signature` is Twilio's over `url` and the form body `rawBody` with `authToken` (constant time). */
export function verifyTwilioSignature(
  authToken: string,
  url: string | undefined,
  rawBody: Buffer,
  signature: string | undefined,
): boolean {
  if (url === undefined || signature === undefined || authToken.length === 0) return false;
  const given = signature.trim();
  if (!/^[A-Za-z0-9+/]{27}=$/.test(given)) return false;
  const params = [...new URLSearchParams(rawBody.toString('utf8'))];
  const expected = Buffer.from(signTwilioRequest(authToken, url, params), 'base64');
  const actual = Buffer.from(given, 'base64');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
