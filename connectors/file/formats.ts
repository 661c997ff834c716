import { z } from 'zod';

export const ExtractFormat = z
  .enum(['csv', 'xlsx', 'pdf', 'json', 'text', 'docx', 'xml', 'html'])
  .describe(
    'How to read the file: csv and xlsx give `rows`; pdf, text, docx and html give `text`; json and xml give `data`.',
  );
export type FileFormat = z.infer<typeof ExtractFormat>;

export const ConvertFormat = z
  .enum(['csv', 'xlsx', 'json', 'text', 'html', 'xml'])
  .describe(
    'The file to write: csv and xlsx from `rows`; json and xml from `data` (or `rows`); text from `text`; html from `rows` (a table) or `text`.',
  );
export type ConvertFormat = z.infer<typeof ConvertFormat>;

/** What each extract format outputs. */
export const EXTRACT_OUTPUT: Record<FileFormat, 'rows' | 'text' | 'data'> = {
  csv: 'rows',
  xlsx: 'rows',
  pdf: 'text',
  text: 'text',
  docx: 'text',
  html: 'text',
  json: 'data',
  xml: 'data',
};
