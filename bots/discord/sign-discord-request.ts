import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

/** A fresh Ed25519 key pair with the public key as Discord shows it (hex of the raw 32 bytes). */
export function generateDiscordKeys(): { privateKey: KeyObject; publicKeyHex: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { privateKey, publicKeyHex: der.subarray(-32).toString('hex') };
}

/** The headers Discord sends with an interaction: Ed25519 over `timestamp + body`. */
export function signDiscordRequest(
  privateKey: KeyObject,
  body: string,
  timestamp = String(Math.floor(Date.now() / 1000)),
) {
  const signature = sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
  return { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp };
}
