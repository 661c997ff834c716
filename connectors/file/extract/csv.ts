import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { CsvError, parse } from 'csv-parse';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { fileFormatError } from '../file-errors.ts';
import { uniqueHeaders } from '../headers.ts';
import type { Extractor, Row } from './extract-options.ts';
import { tooManyRows } from './limits-check.ts';
import { isDecodeError, notUtf8, utf8Chunks } from './utf8.ts';

/** The longest one record may be: a file without line breaks is not a table. */
const MAX_RECORD_CHARS = 1_000_000;

/** Rows keyed by the header row, parsed by csv-parse as the file streams in; values stay strings. */
export const extractCsv: Extractor = async (stream, options) => {
  const source = Readable.fromWeb(utf8Chunks(stream) as NodeReadableStream<string>);
  const parser = parse({
    delimiter: options.delimiter ?? ',',
    columns: (header: unknown[]) => uniqueHeaders(header),
    skip_empty_lines: true,
    relax_column_count: true,
    max_record_size: MAX_RECORD_CHARS,
    trim: false,
  });
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  const rows: Row[] = [];
  try {
    for await (const record of parser) {
      if (rows.length >= options.maxRows) throw tooManyRows(options.name, options.maxRows);
      rows.push(record as Row);
    }
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    if (isDecodeError(error)) throw notUtf8('csv', options.name, error);
    if (error instanceof CsvError) throw fileFormatError('csv', options.name, error.message, error);
    throw error;
  } finally {
    source.destroy();
    parser.destroy();
  }
  return { rows };
};
