import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import {
  AllowFormulas,
  a1,
  cellsByHeader,
  guardFormulas,
  RowInput,
  rowsOfRange,
  SheetName,
  SpreadsheetId,
  ValueInputOption,
} from '../client.ts';
import { headerRow, sheetsAction } from '../kit.ts';

export const AppendRowsInput = z.strictObject({
  spreadsheetId: SpreadsheetId,
  sheet: SheetName.optional(),
  rows: z
    .array(RowInput)
    .min(1)
    .max(10_000)
    .describe(
      'The rows to add below the last row with data. Each is an object keyed by the header row\'s column names, e.g. {"Name": "Ana", "Email": "ana@example.com"}, or an array of cells in column order, e.g. ["Ana", "ana@example.com", 42].',
    ),
  valueInputOption: ValueInputOption,
  allowFormulas: AllowFormulas,
});

const AppendBody = z.object({
  spreadsheetId: z.string(),
  tableRange: z.string().optional(),
  updates: z.object({
    updatedRange: z.string(),
    updatedRows: z.number().int().default(0),
    updatedCells: z.number().int().default(0),
  }),
});

export const appendRows = sheetsAction({
  key: 'appendRows',
  title: 'Append rows to a Google Sheet',
  description:
    'Add one or more rows at the end of a Google Sheets tab (below the last row with data), given as objects keyed by the header row or as cell arrays.',
  effect: 'write',
  // Sheets has no idempotency key: a retry after a lost answer may add the rows twice.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Google Sheet', withValue.spreadsheetId, { tab: withValue.sheet }),
  input: AppendRowsInput,
  output: z.object({
    spreadsheetId: z.string().describe('The spreadsheet written to.'),
    updatedRange: z.string().describe('Where the rows went, in A1 notation, e.g. "Leads!A12:D13".'),
    rowsAppended: z.number().int().describe('How many rows were added.'),
    firstRow: z.number().int().nullable().describe('Row number of the first added row.'),
    lastRow: z.number().int().nullable().describe('Row number of the last added row.'),
  }),
  async run(input, ctx) {
    const byHeader = input.rows.some((row) => !Array.isArray(row));
    const header = byHeader ? await headerRow(ctx.client, input.spreadsheetId, input.sheet, ctx.signal) : [];
    const values = input.rows.map((row) =>
      guardFormulas(Array.isArray(row) ? row : cellsByHeader(header, row, ''), input),
    );
    const range = a1(input.sheet, 'A1');
    const response = await ctx.client.send(
      {
        method: 'POST',
        path: `/spreadsheets/${encodeURIComponent(input.spreadsheetId)}/values/${encodeURIComponent(range)}:append`,
        query: {
          valueInputOption: input.valueInputOption,
          insertDataOption: 'INSERT_ROWS',
          includeValuesInResponse: false,
        },
        json: { majorDimension: 'ROWS', values },
      },
      ctx.signal,
    );
    const body = AppendBody.parse(response.body);
    const rows = rowsOfRange(body.updates.updatedRange);
    return {
      spreadsheetId: body.spreadsheetId,
      updatedRange: body.updates.updatedRange,
      rowsAppended: body.updates.updatedRows,
      firstRow: rows?.firstRow ?? null,
      lastRow: rows?.lastRow ?? null,
    };
  },
});
