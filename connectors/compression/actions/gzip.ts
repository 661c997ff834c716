import { gzipSync } from 'fflate';
import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';
import { gunzipBounded } from '../bounded-inflate.ts';
import { bytesOf, ContentEncoding, MaxBytes, OutputAs, toOutput } from '../content.ts';

export const GzipInput = z.strictObject({
  content: z.string().max(5_000_000).describe('What to compress: text, or base64 bytes (see encoding).'),
  encoding: ContentEncoding,
  level: z.int().min(0).max(9).default(6).describe('0 (store) to 9 (smallest); default 6.'),
});
export const GzipOutput = z.object({
  base64: z.string().describe('The gzip file as base64.'),
  bytes: z.int().describe('Size of the gzip file in bytes.'),
});

export const gzip = defineAction({
  key: 'gzip',
  title: 'Gzip',
  description:
    'Compress text or base64 bytes with gzip; the result is base64 (for an upload, an email attachment or an API ' +
    'that takes Content-Encoding: gzip).',
  effect: 'pure',
  idempotent: true,
  input: GzipInput,
  output: GzipOutput,
  async run(input) {
    const compressed = gzipSync(bytesOf(input.content, input.encoding, 'compression.gzip'), {
      level: input.level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9,
      mtime: 0,
    });
    return { base64: Buffer.from(compressed).toString('base64'), bytes: compressed.length };
  },
});

export const GunzipInput = z.strictObject({
  base64: z.string().max(7_000_000).describe('The gzip data as base64.'),
  as: OutputAs,
  maxBytes: MaxBytes,
});
export const GunzipOutput = z.object({
  content: z.string().describe('The decompressed content (text, or base64 with as: "base64").'),
  bytes: z.int().describe('Size of the decompressed content in bytes.'),
});

export const gunzip = defineAction({
  key: 'gunzip',
  title: 'Gunzip',
  description:
    'Decompress gzip data given as base64 (a .gz download, a gzip API answer) into text or base64, with a size cap ' +
    '(maxBytes) so a compression bomb stops with an error.',
  effect: 'pure',
  idempotent: true,
  input: GunzipInput,
  output: GunzipOutput,
  async run(input) {
    const where = 'compression.gunzip';
    const bytes = gunzipBounded(bytesOf(input.base64, 'base64', where), input.maxBytes, where);
    return { content: toOutput(bytes, input.as, where), bytes: bytes.length };
  },
});
