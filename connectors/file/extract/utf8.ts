import type { ConnectorError } from '../../sdk/connector-error.ts';
import { fileFormatError } from '../file-errors.ts';

/** The stream decoded as UTF-8 (a BOM dropped); bytes that are not UTF-8 fail the read instead of becoming U+FFFD. */
export function utf8Chunks(stream: ReadableStream<Uint8Array>): ReadableStream<string> {
  const decoder = new TextDecoderStream('utf-8', { fatal: true });
  return stream.pipeThrough(decoder as unknown as ReadableWritablePair<string, Uint8Array>);
}

/** Whole bytes as UTF-8 text (a BOM dropped), or E_FILE_FORMAT naming the format. */
export function utf8Text(bytes: Uint8Array, format: string, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw notUtf8(format, name, error);
  }
}

export function notUtf8(format: string, name: string, cause: unknown): ConnectorError {
  return fileFormatError(format, name, 'the bytes are not UTF-8 text (is it a binary file?)', cause);
}

/** A decoding failure of utf8Chunks, told apart from the other errors of a read. */
export function isDecodeError(error: unknown): boolean {
  return error instanceof TypeError && 'code' in error && error.code === 'ERR_ENCODING_INVALID_ENCODED_DATA';
}
