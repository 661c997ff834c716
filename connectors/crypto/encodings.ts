import { z } from 'zod';

export const Digest = z.enum(['sha256', 'sha384', 'sha512', 'sha1', 'md5']);
export const InputEncoding = z
  .enum(['utf8', 'base64', 'hex'])
  .default('utf8')
  .describe('How `data` is written: utf8 text (default), base64 or hex bytes.');
export const DigestEncoding = z
  .enum(['hex', 'base64', 'base64url'])
  .default('hex')
  .describe('How the digest is written: hex (default), base64 or base64url.');

export { decodeInput } from '../sdk/decode-bytes.ts';
