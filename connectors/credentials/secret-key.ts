import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../lib/index.ts';

/** The AES-256 key credentials are encrypted with, and its public id (a hash prefix, safe to store). */
export type SecretKey = { id: string; key: Buffer };

export const SECRET_KEY_FILE = 'secret.key';

function keyError(source: string): AppError {
  return new AppError({
    code: 'E_SECRET_KEY',
    message: `${source} is not a valid secret key: it must be the base64 encoding of exactly 32 bytes.`,
    hint: 'Generate one with `openssl rand -base64 32` (or unset VMESH_SECRET_KEY to use the generated key file).',
  });
}

/** Parses a base64 (or base64url) 32-byte key; throws E_SECRET_KEY otherwise. */
export function parseSecretKey(encoded: string, source = 'VMESH_SECRET_KEY'): SecretKey {
  const trimmed = encoded.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw keyError(source);
  const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  if (key.length !== 32) throw keyError(source);
  return { id: `k1_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`, key };
}

/**
 * The credential key: VMESH_SECRET_KEY when set, else `<dataDir>/secret.key`, generated on first use
 * with mode 0600 (created exclusively, so two processes starting together agree on one key).
 */
export async function loadSecretKey(options: {
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): Promise<SecretKey> {
  const fromEnv = (options.env ?? process.env).VMESH_SECRET_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return parseSecretKey(fromEnv);
  const file = join(options.dataDir, SECRET_KEY_FILE);
  await mkdir(options.dataDir, { recursive: true });
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${randomBytes(32).toString('base64')}\n`);
    } finally {
      await handle.close();
    }
    await chmod(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseSecretKey(await readFile(file, 'utf8'), file);
}
