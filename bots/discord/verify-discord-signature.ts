import { createPublicKey, type KeyObject, verify } from 'node:crypto';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The application's public key (hex, from the Developer Portal) as a node:crypto key. */
export function discordPublicKey(hex: string): KeyObject {
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new Error(
      'DISCORD_PUBLIC_KEY must be the 64 hex characters shown under General Information in the Developer Portal.',
    );
  }
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

/** How far X-Signature-Timestamp may be from this server's clock, either way (a captured request replays no later). */
export const DISCORD_SIGNATURE_WINDOW_SECONDS = 300;

/** Ed25519 over `timestamp + raw body`, as Discord signs interactions, with a timestamp within the window of now. */
export function verifyDiscordSignature(
  key: KeyObject,
  signatureHex: string | undefined,
  timestamp: string | undefined,
  body: Buffer,
  nowMs: number = Date.now(),
): boolean {
  if (!signatureHex || !timestamp || !/^[0-9a-f]{128}$/i.test(signatureHex)) return false;
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > DISCORD_SIGNATURE_WINDOW_SECONDS) return false;
  try {
    return verify(null, Buffer.concat([Buffer.from(timestamp), body]), key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}
