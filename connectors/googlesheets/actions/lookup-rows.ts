import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import {
  a1,
  CellValue,
  columnNames,
  findColumn,
  rowObject,
  SheetName,
  SpreadsheetId,
  ValueRangeBody,
  widthOf,
} from '../client.ts';
import { sheetsAction } from '../kit.ts';

export const LookupRowsInput = z.strictObject({
  spreadsheetId: SpreadsheetId,
  sheet: SheetName.optional(),
  column: z
    .string()
    .min(1)
    .max(200)
    .describe('The column to search: its header name in row 1, e.g. "Email", or its letter, e.g. "C".'),
  value: z
    .union([z.string().max(50_000), z.number(), z.boolean()])
    .describe('The value to find, e.g. "ana@example.com" (compared with the cell as shown in the sheet).'),
  match: z
    .enum(['exact', 'contains'])
    .default('exact')
    .describe('exact (default): the whole cell equals the value; contains: the cell contains it.'),
  caseSensitive: z.boolean().default(false).describe('Whether letter case must match (default false).'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('At most this many matching rows, first ones first (default 100).'),
});
type LookupRowsInput = z.output<typeof LookupRowsInput>;

function matcher(input: LookupRowsInput): (cell: CellValue | undefined) => boolean {
  const fold = (text: string) => (input.caseSensitive ? text.trim() : text.trim().toLowerCase());
  const wanted = fold(String(input.value));
  return (cell) => {
    const text = fold(String(cell ?? ''));
    return input.match === 'exact' ? text === wanted : wanted !== '' && text.includes(wanted);
  };
}

export const lookupRows = sheetsAction({
  key: 'lookupRows',
  title: 'Find rows in a Google Sheet by a column value',
  description:
    'Find the rows of a Google Sheets tab whose column (by header name or letter) equals or contains a value, e.g. the row of a customer by email.',
  effect: 'read',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Google Sheet', withValue.spreadsheetId, { tab: withValue.sheet }),
  input: LookupRowsInput,
  output: z.object({
    found: z.boolean().describe('Whether any row matched.'),
    rows: z
      .array(
        z.object({
          rowNumber: z.number().int().describe('The row number in the sheet (for updateRow).'),
          values: z.record(z.string(), CellValue).describe("The row keyed by the header row's column names."),
          cells: z.array(CellValue).describe('The row as cells in column order.'),
        }),
      )
      .describe('The matching rows, in sheet order.'),
    headers: z.array(z.string()).describe('The column names of row 1.'),
    truncated: z.boolean().describe('True when more rows matched than `limit`.'),
  }),
  async run(input, ctx) {
    const response = await ctx.client.send(
      {
        method: 'GET',
        path: `/spreadsheets/${encodeURIComponent(input.spreadsheetId)}/values/${encodeURIComponent(a1(input.sheet))}`,
        query: { majorDimension: 'ROWS', valueRenderOption: 'FORMATTED_VALUE' },
      },
      ctx.signal,
    );
    const [header = [], ...rows] = ValueRangeBody.parse(response.body).values;
    const index = findColumn(header, input.column);
    if (index === undefined) {
      throw new ConnectorError({
        code: 'E_PARAMS',
        message: `googlesheets.lookupRows: row 1 has no column "${input.column}" (it has ${header.map((cell) => `"${String(cell)}"`).join(', ') || 'nothing'}).`,
        retryable: false,
        hint: 'Name the column as written in row 1, or give its letter ("C").',
      });
    }
    const width = Math.max(header.length, widthOf(rows));
    const names = columnNames(header, width);
    const matches = matcher(input);
    const found = rows.flatMap((cells, offset) =>
      matches(cells[index]) ? [{ rowNumber: offset + 2, values: rowObject(names, cells), cells }] : [],
    );
    return {
      found: found.length > 0,
      rows: found.slice(0, input.limit),
      headers: names,
      truncated: found.length > input.limit,
    };
  },
});
