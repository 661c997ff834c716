import { z } from 'zod';
import { FileRef } from '../../sdk/files.ts';
import { literalFormat, optionsForFormat } from '../check-with.ts';
import { extractContent } from '../extract/index.ts';
import { ExtractFormat } from '../formats.ts';
import { action } from '../kit.ts';
import { DEFAULT_MAX_CHARS, DEFAULT_MAX_ROWS, MAX_CHARS, MAX_ROWS } from '../limits.ts';

export const ExtractInput = z.strictObject({
  file: FileRef,
  format: ExtractFormat,
  delimiter: z
    .string()
    .min(1)
    .max(4)
    .optional()
    .describe('csv only: the field separator, e.g. ";" or "\\t". Default ",".'),
  sheet: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('xlsx only: the worksheet to read, by name. Default the first sheet.'),
  maxRows: z
    .number()
    .int()
    .min(1)
    .max(MAX_ROWS)
    .default(DEFAULT_MAX_ROWS)
    .describe(
      `csv/xlsx: fail (E_FILE_LIMIT) when the table has more rows than this. Default ${DEFAULT_MAX_ROWS}.`,
    ),
  maxChars: z
    .number()
    .int()
    .min(1)
    .max(MAX_CHARS)
    .default(DEFAULT_MAX_CHARS)
    .describe(
      `pdf/text/docx/html: fail (E_FILE_LIMIT) when the text is longer than this. Default ${DEFAULT_MAX_CHARS}.`,
    ),
});
export type ExtractInput = z.infer<typeof ExtractInput>;

export const ExtractOutput = z.object({
  rows: z
    .array(z.record(z.string(), z.unknown()))
    .optional()
    .describe('csv/xlsx: one object per row, keyed by the header row (csv values are strings).'),
  text: z.string().optional().describe('pdf/text/docx/html: the plain text.'),
  data: z.unknown().optional().describe('json/xml: the parsed document.'),
});
export type ExtractOutput = z.infer<typeof ExtractOutput>;

export const extract = action({
  key: 'extract',
  title: 'Extract from a file',
  description:
    'Read a file from a step output (e.g. a download) as csv or xlsx rows, the text of a pdf, docx, html or text file, or json or xml data.',
  effect: 'read',
  idempotent: true,
  checkWith(withValue) {
    const format = literalFormat(withValue.format, ExtractFormat.options);
    if (!format) return [];
    return optionsForFormat('file.extract', withValue, format, { delimiter: 'csv', sheet: 'xlsx' });
  },
  input: ExtractInput,
  output: ExtractOutput,
  async run(input, ctx) {
    const { ref, stream } = await ctx.files.read(input.file);
    return extractContent(input.format, stream, {
      name: ref.name,
      delimiter: input.delimiter,
      sheet: input.sheet,
      maxRows: input.maxRows,
      maxChars: input.maxChars,
      signal: ctx.signal,
    });
  },
});
