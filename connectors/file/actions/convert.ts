import { z } from 'zod';
import type { ActionIssue } from '../../sdk/define.ts';
import { FileRef } from '../../sdk/files.ts';
import { literalFormat, optionsForFormat } from '../check-with.ts';
import { CONVERT_SOURCES, renderFile } from '../convert/render-file.ts';
import { ConvertFormat } from '../formats.ts';
import { action } from '../kit.ts';
import { MAX_CHARS, MAX_ROWS } from '../limits.ts';

const Row = z.record(z.string(), z.unknown());

export const ConvertInput = z.strictObject({
  format: ConvertFormat,
  name: z
    .string()
    .min(1)
    .max(255)
    .describe('File name, e.g. "totals.csv"; the format\'s extension is added when missing.'),
  rows: z
    .union([z.array(Row).max(MAX_ROWS), Row])
    .transform((rows) => (Array.isArray(rows) ? rows : [rows]))
    .optional()
    .describe(
      'csv/xlsx/html (and json/xml): the rows, one object per row; the keys are the columns. One object is one row.',
    ),
  data: z
    .unknown()
    .optional()
    .describe('json/xml: the value to write (xml: one top-level key names the root element).'),
  text: z.string().max(MAX_CHARS).optional().describe('text/html: the text to write.'),
  columns: z
    .array(z.string().min(1))
    .min(1)
    .max(1_000)
    .optional()
    .describe(
      'csv/xlsx/html: which columns, in which order. Default every key of the rows, in the order first seen.',
    ),
  delimiter: z.string().min(1).max(4).optional().describe('csv only: the field separator. Default ",".'),
  sheet: z.string().min(1).max(31).optional().describe('xlsx only: the worksheet name. Default "Sheet1".'),
  escapeFormulas: z
    .boolean()
    .default(true)
    .describe(
      'csv only: prefix cells starting with =, +, - or @ with a quote, so a spreadsheet does not run them as formulas. Default true.',
    ),
});
export type ConvertInput = z.infer<typeof ConvertInput>;

export const ConvertOutput = z.object({
  file: FileRef.describe('The written file, to upload or extract later.'),
});
export type ConvertOutput = z.infer<typeof ConvertOutput>;

function sourceIssues(withValue: Record<string, unknown>): ActionIssue[] {
  const given = (['rows', 'data', 'text'] as const).filter((field) => withValue[field] !== undefined);
  const format = literalFormat(withValue.format, ConvertFormat.options);
  const allowed = format ? CONVERT_SOURCES[format] : (['rows', 'data', 'text'] as const);
  if (given.length === 1 && (allowed as readonly string[]).includes(given[0] ?? '')) return [];
  const which = `\`${allowed.join('` or `')}\``;
  return [
    {
      code: 'E_PARAMS',
      field: given.length === 1 ? `/${given[0]}` : '',
      message:
        given.length === 0
          ? `file.convert: give the content to write: ${which}.`
          : given.length > 1
            ? `file.convert: give exactly one of \`rows\`, \`data\` and \`text\`, not ${given.length}.`
            : `file.convert: format "${format}" is written from ${which}, not \`${given[0]}\`.`,
      hint: 'csv and xlsx from `rows` (objects keyed by column), json and xml from `data` or `rows`, text from `text`, html from `rows` or `text`.',
    },
  ];
}

export const convert = action({
  key: 'convert',
  title: 'Write a file',
  description:
    'Write rows, data or text as a new csv, xlsx, json, xml, text or html file of the run and return its file reference (e.g. to upload with http.request).',
  effect: 'read',
  idempotent: true,
  checkWith(withValue) {
    const format = literalFormat(withValue.format, ConvertFormat.options);
    return [
      ...sourceIssues(withValue),
      ...(format
        ? optionsForFormat('file.convert', withValue, format, { delimiter: 'csv', sheet: 'xlsx' })
        : []),
    ];
  },
  input: ConvertInput,
  output: ConvertOutput,
  async run(input, ctx) {
    const rendered = await renderFile(input.format, input, input.name);
    const name = input.name.toLowerCase().endsWith(`.${rendered.extension}`)
      ? input.name
      : `${input.name}.${rendered.extension}`;
    const file = await ctx.files.write(
      { name, contentType: rendered.contentType, expectedSize: rendered.bytes.byteLength },
      rendered.bytes,
    );
    return { file };
  },
});
