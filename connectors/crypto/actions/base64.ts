import { z } from 'zod';
import { dataError } from '../../sdk/data-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { decodeInput } from '../encodings.ts';

export const Base64EncodeInput = z.strictObject({
  text: z.string().max(5_000_000).describe('The text to encode (as UTF-8 bytes).'),
  urlSafe: z
    .boolean()
    .default(false)
    .describe('URL-safe alphabet (-_) without padding. Default false (+/ and =).'),
});
export const Base64EncodeOutput = z.object({ base64: z.string().describe('The base64 text.') });

export const base64Encode = defineAction({
  key: 'base64Encode',
  title: 'Base64 encode',
  description:
    'Encode text as base64 (e.g. for a Basic auth header built from non-secret parts, a data URL or an API that ' +
    'wants base64 content). urlSafe for the -_ alphabet.',
  effect: 'pure',
  idempotent: true,
  input: Base64EncodeInput,
  output: Base64EncodeOutput,
  async run(input) {
    return { base64: Buffer.from(input.text, 'utf8').toString(input.urlSafe ? 'base64url' : 'base64') };
  },
});

export const Base64DecodeInput = z.strictObject({
  base64: z.string().max(7_000_000).describe('Base64 text (standard or URL-safe; whitespace is ignored).'),
  as: z
    .enum(['text', 'hex'])
    .default('text')
    .describe('text: the bytes as UTF-8 text (default; fails on binary data); hex: the bytes in hex.'),
});
export const Base64DecodeOutput = z.object({ text: z.string().describe('The decoded text (or hex).') });

export const base64Decode = defineAction({
  key: 'base64Decode',
  title: 'Base64 decode',
  description:
    "Decode base64 (standard or URL-safe) to text, e.g. a GitHub file's content or a JWT part. Binary data fails " +
    'as text: ask for hex, or use compression.gunzip for gzip.',
  effect: 'pure',
  idempotent: true,
  input: Base64DecodeInput,
  output: Base64DecodeOutput,
  async run(input) {
    const urlSafe = /[-_]/.test(input.base64);
    const bytes = decodeInput(input.base64, urlSafe ? 'base64url' : 'base64', 'crypto.base64Decode');
    if (input.as === 'hex') return { text: bytes.toString('hex') };
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch (error) {
      throw dataError(
        'E_NOT_TEXT',
        'crypto.base64Decode: the decoded bytes are not UTF-8 text (binary data).',
        'Set "as": "hex" to get the bytes, or decompress gzip data with compression.gunzip.',
        error,
      );
    }
  },
});
