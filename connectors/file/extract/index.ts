import type { FileFormat } from '../formats.ts';
import { MAX_PARSE_BYTES } from '../limits.ts';
import { readBytes } from '../read-bytes.ts';
import { extractCsv } from './csv.ts';
import { extractDocx } from './docx.ts';
import type { Extracted, ExtractOptions, Extractor } from './extract-options.ts';
import { extractHtml } from './html.ts';
import { extractJson } from './json.ts';
import { parseInThread } from './parse-pool.ts';
import { extractPdf } from './pdf.ts';
import { extractText } from './text.ts';
import { extractXlsx } from './xlsx.ts';
import { extractXml } from './xml.ts';

const EXTRACTORS: Record<FileFormat, Extractor> = {
  csv: extractCsv,
  xlsx: extractXlsx,
  pdf: extractPdf,
  json: extractJson,
  text: extractText,
  docx: extractDocx,
  xml: extractXml,
  html: extractHtml,
};

/**
 * Reads a file's bytes as `format`: rows, text or data, or a ConnectorError (E_FILE_FORMAT, E_FILE_LIMIT, …).
 * csv and text stream on this thread; the whole-file formats are read here (within their size cap) and parsed in
 * a worker thread with a time limit (parse-pool.ts), unless `inThread` is false.
 */
export async function extractContent(
  format: FileFormat,
  stream: ReadableStream<Uint8Array>,
  options: ExtractOptions,
  inThread = true,
): Promise<Extracted> {
  if (!inThread || format === 'csv' || format === 'text') return EXTRACTORS[format](stream, options);
  const bytes = await readBytes(stream, MAX_PARSE_BYTES, options.name, format);
  return parseInThread(format, bytes, options);
}

export type { Extracted, ExtractOptions, Row } from './extract-options.ts';
