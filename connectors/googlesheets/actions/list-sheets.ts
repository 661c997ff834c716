import { z } from 'zod';
import { SpreadsheetId } from '../client.ts';
import { rest } from '../kit.ts';

const SpreadsheetBody = z.object({
  spreadsheetId: z.string(),
  spreadsheetUrl: z.string().optional(),
  properties: z
    .object({ title: z.string().default('') })
    .loose()
    .optional(),
  sheets: z
    .array(
      z.object({
        properties: z
          .object({
            sheetId: z.number().int(),
            title: z.string(),
            index: z.number().int().default(0),
            gridProperties: z
              .object({ rowCount: z.number().int().optional(), columnCount: z.number().int().optional() })
              .loose()
              .optional(),
          })
          .loose(),
      }),
    )
    .max(1000)
    .default([]),
});

export const listSheets = rest.action({
  key: 'listSheets',
  title: 'List the tabs of a Google Sheet',
  description:
    "Get a spreadsheet's title and its tabs (names, ids, sizes): use it to find the tab name the other actions take.",
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ spreadsheetId: SpreadsheetId }),
  output: z.object({
    spreadsheetId: z.string().describe('The spreadsheet id.'),
    title: z.string().describe('The spreadsheet title.'),
    url: z.string().describe('Link to the spreadsheet.'),
    sheets: z
      .array(
        z.object({
          sheetId: z.number().int().describe('The tab id (gid in the URL).'),
          title: z.string().describe('The tab name.'),
          index: z.number().int().describe('Position, 0 = first.'),
          rowCount: z.number().int().nullable().describe('Rows in the grid.'),
          columnCount: z.number().int().nullable().describe('Columns in the grid.'),
        }),
      )
      .describe('The tabs in order.'),
  }),
  http: {
    method: 'GET',
    path: '/spreadsheets/{spreadsheetId}',
    query: () => ({ fields: 'spreadsheetId,spreadsheetUrl,properties.title,sheets.properties' }),
  },
  project: (response) => {
    const body = SpreadsheetBody.parse(response.body);
    return {
      spreadsheetId: body.spreadsheetId,
      title: body.properties?.title ?? '',
      url: body.spreadsheetUrl ?? `https://docs.google.com/spreadsheets/d/${body.spreadsheetId}/edit`,
      sheets: body.sheets.map(({ properties }) => ({
        sheetId: properties.sheetId,
        title: properties.title,
        index: properties.index,
        rowCount: properties.gridProperties?.rowCount ?? null,
        columnCount: properties.gridProperties?.columnCount ?? null,
      })),
    };
  },
});
