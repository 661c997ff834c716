import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CellValue, columnNames, rowObject, SpreadsheetId, ValueRangeBody, widthOf } from '../client.ts';
import { rest } from '../kit.ts';

export const RangeFields = {
  spreadsheetId: SpreadsheetId,
  range: z
    .string()
    .min(1)
    .max(300)
    .describe(
      'The range in A1 notation: a tab and cells ("Leads!A1:D50", "Leads!A2:D" for every row from 2), a whole tab ("Leads"), or cells of the first tab ("A1:C10"). Quote a tab name with spaces or symbols: "\'Q3 leads\'!A:C".',
    ),
};

export const ReadRangeInput = z.strictObject({
  ...RangeFields,
  valueRenderOption: z
    .enum(['FORMATTED_VALUE', 'UNFORMATTED_VALUE', 'FORMULA'])
    .default('FORMATTED_VALUE')
    .describe(
      'FORMATTED_VALUE (default): as shown in the sheet, as text ("$1,200.00"); UNFORMATTED_VALUE: numbers and booleans as such (1200); FORMULA: formulas instead of results.',
    ),
  headerRow: z
    .boolean()
    .default(false)
    .describe('True: the first row of the range holds column names, and `rows` are objects keyed by them.'),
});

export const readRange = rest.action({
  key: 'readRange',
  title: 'Read a range of a Google Sheet',
  description:
    'Read the cells of a range or a whole tab of a Google Sheet, as rows of cells, or as objects keyed by the header row.',
  effect: 'read',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Google Sheet', withValue.spreadsheetId, { range: withValue.range }),
  input: ReadRangeInput,
  output: z.object({
    range: z.string().describe('The range read, as Google names it, e.g. "Leads!A1:D50".'),
    values: z
      .array(z.array(CellValue))
      .describe('The rows, each a list of cells (trailing empty cells left out).'),
    rows: z
      .array(z.record(z.string(), CellValue))
      .describe(
        'With headerRow: each row after the first as an object keyed by the column names; else empty.',
      ),
  }),
  http: {
    method: 'GET',
    path: '/spreadsheets/{spreadsheetId}/values/{range}',
    query: (input) => ({ majorDimension: 'ROWS', valueRenderOption: input.valueRenderOption }),
  },
  project: (response, input) => {
    const body = ValueRangeBody.parse(response.body);
    const [header = [], ...rest] = body.values;
    const width = widthOf(body.values);
    const names = columnNames(header, width);
    return {
      range: body.range ?? input.range,
      values: body.values,
      rows: input.headerRow ? rest.map((cells) => rowObject(names, cells)) : [],
    };
  },
});
