import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import {
  AllowFormulas,
  a1,
  cellsByHeader,
  guardFormulas,
  RowInput,
  SheetName,
  SpreadsheetId,
  ValueInputOption,
} from '../client.ts';
import { headerRow, sheetsAction } from '../kit.ts';

export const UpdateRowInput = z.strictObject({
  spreadsheetId: SpreadsheetId,
  sheet: SheetName.optional(),
  rowNumber: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .describe(
      'The row to change, as numbered in the sheet (1 is the header row), e.g. from lookupRows or the rowAdded trigger.',
    ),
  values: RowInput.describe(
    'The new cells: an object keyed by header names changes only those columns, e.g. {"Status": "contacted"}; an array sets cells from column A on (null leaves a cell as it is).',
  ),
  valueInputOption: ValueInputOption,
  allowFormulas: AllowFormulas,
});

const UpdateBody = z.object({
  spreadsheetId: z.string(),
  updatedRange: z.string().optional(),
  updatedCells: z.number().int().default(0),
});

export const updateRow = sheetsAction({
  key: 'updateRow',
  title: 'Update a row of a Google Sheet',
  description:
    'Change the cells of one row of a Google Sheets tab by row number: only the columns named (by header) or given change, the rest stay.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Google Sheet', withValue.spreadsheetId, {
      tab: withValue.sheet,
      row: withValue.rowNumber,
    }),
  input: UpdateRowInput,
  output: z.object({
    spreadsheetId: z.string().describe('The spreadsheet written to.'),
    updatedRange: z.string().describe('The cells written, in A1 notation, e.g. "Leads!A7:D7".'),
    updatedCells: z.number().int().describe('How many cells were written.'),
  }),
  async run(input, ctx) {
    const cells = Array.isArray(input.values)
      ? input.values
      : cellsByHeader(
          await headerRow(ctx.client, input.spreadsheetId, input.sheet, ctx.signal),
          input.values,
          null,
        );
    const range = a1(input.sheet, `A${input.rowNumber}`);
    const response = await ctx.client.send(
      {
        method: 'PUT',
        path: `/spreadsheets/${encodeURIComponent(input.spreadsheetId)}/values/${encodeURIComponent(range)}`,
        query: { valueInputOption: input.valueInputOption },
        json: { majorDimension: 'ROWS', values: [guardFormulas(cells, input)] },
      },
      ctx.signal,
    );
    const body = UpdateBody.parse(response.body);
    return {
      spreadsheetId: body.spreadsheetId,
      updatedRange: body.updatedRange ?? range,
      updatedCells: body.updatedCells,
    };
  },
});
