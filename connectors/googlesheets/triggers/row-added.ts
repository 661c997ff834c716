import { z } from 'zod';
import type { GoogleClient } from '../../google/client.ts';
import { definePollTrigger } from '../../sdk/define.ts';
import {
  a1,
  CellValue,
  columnNames,
  rowObject,
  SheetName,
  SpreadsheetId,
  ValueRangeBody,
  widthOf,
} from '../client.ts';

/** Rows read per poll after the last one seen; a longer backlog is read over the next polls. */
export const ROWS_PER_POLL = 500;
/** On the first poll (nothing seen yet) only the newest rows are listed: the runtime records them without runs. */
const FIRST_POLL_ROWS = 100;

export const RowAddedFilters = z.strictObject({
  spreadsheetId: SpreadsheetId,
  sheet: SheetName.optional(),
  headerRow: z
    .boolean()
    .default(true)
    .describe(
      'True (default): row 1 holds column names; it never starts a run and `trigger.values` is keyed by it.',
    ),
  intervalSeconds: z
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(60)
    .describe(
      'How often to check for new rows, in seconds (10–86400, default 60; each check is one read request).',
    ),
});

export const RowAddedData = z.object({
  spreadsheetId: z.string().describe('The spreadsheet.'),
  sheet: z.string().nullable().describe('The tab, or null for the first tab.'),
  rowNumber: z.number().int().describe("The new row's number in the sheet (for updateRow)."),
  values: z
    .record(z.string(), CellValue)
    .describe("The row keyed by the header row's column names (letters without one)."),
  cells: z.array(CellValue).describe('The row as cells in column order.'),
});
type RowAddedData = z.output<typeof RowAddedData>;

const BatchBody = z.object({
  valueRanges: z.array(ValueRangeBody).max(2).default([]),
});

const isEmpty = (cells: readonly CellValue[]) => cells.every((cell) => String(cell).trim() === '');

export const rowAdded = definePollTrigger<
  typeof RowAddedFilters,
  typeof RowAddedData,
  z.ZodObject<Record<string, never>>,
  unknown,
  GoogleClient
>({
  key: 'rowAdded',
  title: 'New row in a Google Sheet',
  description:
    'Starts the workflow for each row added at the end of a Google Sheets tab (checked every intervalSeconds); trigger.values holds the row keyed by the header row.',
  kind: 'poll',
  with: RowAddedFilters,
  data: RowAddedData,
  sample: {
    spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms',
    sheet: 'Leads',
    rowNumber: 12,
    values: { Name: 'Ana Lima', Email: 'ana@example.com', Plan: 'Pro' },
    cells: ['Ana Lima', 'ana@example.com', 'Pro'],
  },
  state: z.strictObject({}),
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  async poll(ctx, filters, request) {
    const firstDataRow = filters.headerRow ? 2 : 1;
    const after = request.after ? Math.max(request.after.at + 1, firstDataRow) : undefined;
    // Rows after the last one seen (a fixed window); on the first poll the whole tab, to find where it ends.
    const data = after ? a1(filters.sheet, `${after}:${after + ROWS_PER_POLL - 1}`) : a1(filters.sheet);
    const ranges = filters.headerRow ? [a1(filters.sheet, '1:1'), data] : [data];
    const response = await ctx.client.send(
      {
        method: 'GET',
        path: `/spreadsheets/${encodeURIComponent(filters.spreadsheetId)}/values:batchGet`,
        query: { ranges, majorDimension: 'ROWS', valueRenderOption: 'FORMATTED_VALUE' },
      },
      ctx.signal,
    );
    const valueRanges = BatchBody.parse(response.body).valueRanges;
    const header = filters.headerRow ? (valueRanges[0]?.values[0] ?? []) : [];
    const rows = valueRanges[filters.headerRow ? 1 : 0]?.values ?? [];
    const start = after ?? 1;
    const listed = rows.flatMap((cells, offset) => {
      const rowNumber = start + offset;
      return rowNumber < firstDataRow || isEmpty(cells) ? [] : [{ rowNumber, cells }];
    });
    const names = columnNames(header, Math.max(header.length, widthOf(rows)));
    const kept = after ? listed : listed.slice(-FIRST_POLL_ROWS);
    return {
      items: kept.map(({ rowNumber, cells }) => {
        const item: RowAddedData = {
          spreadsheetId: filters.spreadsheetId,
          sheet: filters.sheet ?? null,
          rowNumber,
          values: rowObject(names, cells),
          cells,
        };
        return { id: `row-${rowNumber}`, at: rowNumber, data: item };
      }),
    };
  },
});
