import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';
import { Digest, DigestEncoding, decodeInput, InputEncoding } from '../encodings.ts';

export const HashInput = z.strictObject({
  data: z.string().max(5_000_000).describe('The text (or base64/hex bytes, see inputEncoding) to hash.'),
  algorithm: Digest.default('sha256').describe(
    'sha256 (default), sha384, sha512, sha1 or md5 (sha1/md5: checksums only).',
  ),
  inputEncoding: InputEncoding,
  encoding: DigestEncoding,
});

export const HashOutput = z.object({ hash: z.string().describe('The digest in the chosen encoding.') });

export const hash = defineAction({
  key: 'hash',
  title: 'Hash',
  description:
    'Hash text or bytes with sha256, sha384, sha512, sha1 or md5: checksums, cache and dedupe keys, content ids. ' +
    'For a signature with a secret key use crypto.hmac.',
  effect: 'pure',
  idempotent: true,
  input: HashInput,
  output: HashOutput,
  async run(input) {
    const bytes = decodeInput(input.data, input.inputEncoding, 'crypto.hash');
    return { hash: createHash(input.algorithm).update(bytes).digest(input.encoding) };
  },
});
