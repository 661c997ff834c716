import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../../lib/index.ts';
import type { SecretKey } from './secret-key.ts';

export type Sealed = { keyId: string; iv: Buffer; ciphertext: Buffer; authTag: Buffer };

/** AES-256-GCM with a fresh 12-byte IV; `associatedData` (the credential id) binds the ciphertext to its row. */
export function sealSecret(key: SecretKey, plaintext: string, associatedData: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { keyId: key.id, iv, ciphertext, authTag: cipher.getAuthTag() };
}

export function openSealed(key: SecretKey, sealed: Sealed, associatedData: string, name: string): string {
  if (sealed.keyId !== key.id) {
    throw new AppError({
      code: 'E_CREDENTIAL_KEY',
      message: `Credential "${name}" was encrypted with key ${sealed.keyId}, but the current key is ${key.id}.`,
      hint: 'Set VMESH_SECRET_KEY (or restore <data dir>/secret.key) to the key it was stored with, or store the credential again.',
    });
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new AppError({
      code: 'E_CREDENTIAL_TAMPERED',
      message: `Credential "${name}" failed its integrity check and was not decrypted.`,
      hint: 'The stored row was altered or copied from another credential. Store the credential again with `vmesh credentials set`.',
      cause: error,
    });
  }
}
