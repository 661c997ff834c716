import { z } from 'zod';
import { dataError } from '../sdk/data-error.ts';
import { decodeInput } from '../sdk/decode-bytes.ts';

export const ContentEncoding = z
  .enum(['utf8', 'base64'])
  .default('utf8')
  .describe('How content is written: utf8 text (default) or base64 bytes.');

export const OutputAs = z
  .enum(['text', 'base64'])
  .default('text')
  .describe('text: the bytes as UTF-8 text (default; fails on binary data); base64: the bytes as base64.');

export const MaxBytes = z
  .int()
  .min(1)
  .max(50_000_000)
  .default(10_000_000)
  .describe('Stop with an error once the decompressed content passes this many bytes (default 10,000,000).');

export function bytesOf(content: string, encoding: 'utf8' | 'base64', where: string): Buffer {
  return decodeInput(content, encoding, where);
}

/** The bytes as the caller asked for them: UTF-8 text (a clear error for binary data) or base64. */
export function toOutput(bytes: Buffer, as: 'text' | 'base64', where: string): string {
  if (as === 'base64') return bytes.toString('base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw dataError(
      'E_NOT_TEXT',
      `${where}: the decompressed bytes are not UTF-8 text (binary data).`,
      'Set "as": "base64" to get the bytes as base64.',
      error,
    );
  }
}
