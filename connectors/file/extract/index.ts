import type { FileFormat } from '../formats.ts';
import { extractCsv } from './csv.ts';
import { extractDocx } from './docx.ts';
import type { Extracted, ExtractOptions, Extractor } from './extract-options.ts';
import { extractHtml } from './html.ts';
import { extractJson } from './json.ts';
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

/** Reads a file's bytes as `format`: rows, text or data, or a ConnectorError (E_FILE_FORMAT, E_FILE_LIMIT, …). */
export function extractContent(
  format: FileFormat,
  stream: ReadableStream<Uint8Array>,
  options: ExtractOptions,
): Promise<Extracted> {
  return EXTRACTORS[format](stream, options);
}

export type { Extracted, ExtractOptions, Row } from './extract-options.ts';
