import { z } from 'zod';
import type { GoogleApiSpec } from '../google/client.ts';
import { ConnectorError } from '../sdk/connector-error.ts';

export const SHEETS_API_URL = 'https://sheets.googleapis.com/v4';
export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

export const sheetsApi: GoogleApiSpec = {
  connector: 'googlesheets',
  apiName: 'Google Sheets API',
  baseUrl: SHEETS_API_URL,
  scopes: [SHEETS_SCOPE],
  acceptedScopes: [
    'https://www.googleapis.com/auth/drive',
    'https://www.googleapis.com/auth/spreadsheets.readonly',
  ],
  shared: 'the spreadsheet',
  hints: {
    400: "Check the range: A1 notation such as `Leads!A1:D50`, with a tab name that has spaces or symbols in single quotes (`'Q3 leads'!A:D`), and a tab that exists (see listSheets).",
    404: "Check the spreadsheetId: it is the part of the sheet's URL between /d/ and /edit, and the sheet was not deleted.",
  },
};

/** A spreadsheet id, or the sheet's whole URL (https://docs.google.com/spreadsheets/d/<id>/edit…). */
export const SpreadsheetId = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .transform((value, ctx) => {
    const id = /\/spreadsheets\/d\/([A-Za-z0-9_-]+)/.exec(value)?.[1] ?? value;
    if (!/^[A-Za-z0-9_-]{10,100}$/.test(id)) {
      ctx.addIssue({
        code: 'custom',
        message: 'a spreadsheet id (from the URL, between /d/ and /edit) or the URL',
      });
      return z.NEVER;
    }
    return id;
  })
  .describe(
    'The spreadsheet: its id (the part of the URL between /d/ and /edit, e.g. "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms") or the whole URL.',
  );

export const SheetName = z
  .string()
  .min(1)
  .max(100)
  .describe(
    'The tab (sheet) name as shown at the bottom of the spreadsheet, e.g. "Leads"; default: the first tab.',
  );

/** One cell as written: text (formulas start with =), a number, a boolean, or null to leave the cell as it is. */
export const CellInput = z.union([z.string().max(50_000), z.number(), z.boolean(), z.null()]);
/** One cell as Google answers it (text when formatted, numbers and booleans when unformatted). */
export const CellValue = z.union([z.string(), z.number(), z.boolean()]);
export type CellValue = z.infer<typeof CellValue>;

export const ValueInputOption = z
  .enum(['USER_ENTERED', 'RAW'])
  .default('USER_ENTERED')
  .describe(
    'USER_ENTERED (default): values are read as if typed into the sheet ("42" becomes a number, "=A1*2" a formula, "2026-12-04" a date); RAW: stored exactly as given, as text.',
  );

export const AllowFormulas = z
  .boolean()
  .default(false)
  .describe(
    'False (default): text starting with "=" or "+" is stored as text, so data from a form, an e-mail or a webhook can never become a formula (e.g. =IMPORTXML sending the sheet elsewhere); true: such text is entered as a formula.',
  );

/**
 * Under USER_ENTERED, text that Sheets would read as a formula gets a leading apostrophe (Sheets' own "this is
 * text" mark, not shown in the cell) unless formulas are allowed. RAW never evaluates anything.
 */
export function guardFormulas<Cell>(
  cells: readonly Cell[],
  options: { valueInputOption: 'USER_ENTERED' | 'RAW'; allowFormulas: boolean },
): Cell[] {
  if (options.valueInputOption === 'RAW' || options.allowFormulas) return [...cells];
  return cells.map((cell) => (typeof cell === 'string' && /^[=+]/.test(cell) ? (`'${cell}` as Cell) : cell));
}

/** A row given as cells in column order, or as an object keyed by the header row's column names. */
export const RowInput = z.union([
  z.array(CellInput).max(1000),
  z.record(z.string().min(1).max(200), CellInput),
]);
export type RowInput = z.infer<typeof RowInput>;

/** Quotes a tab name for A1 notation: `'Q3 leads'`, a quote inside doubled. */
export function quoteSheet(name: string): string {
  return `'${name.replaceAll("'", "''")}'`;
}

/** The A1 range of `cells` on `sheet` (the whole tab without cells; the first tab without a sheet). */
export function a1(sheet: string | undefined, cells?: string): string {
  if (!sheet) return cells ?? 'A:ZZZ';
  return cells ? `${quoteSheet(sheet)}!${cells}` : quoteSheet(sheet);
}

/** The range of readRange/clearRange: a tab and cells, a whole A1 range, or a tab alone. */
export function rangeOf(input: { sheet?: string | undefined; range?: string | undefined }): string {
  if (input.sheet && input.range) return a1(input.sheet, input.range);
  if (input.sheet) return a1(input.sheet);
  if (input.range) return input.range;
  throw new ConnectorError({
    code: 'E_PARAMS',
    message:
      'googlesheets: give `range` (A1 notation, e.g. "Leads!A1:D50") or `sheet` (a tab name), or both.',
    retryable: false,
    hint: 'Name the tab in `sheet` and the cells in `range` ("A2:D"), or the whole range in `range`.',
  });
}

/** Column letters of a 0-based index: 0 → A, 25 → Z, 26 → AA. */
export function columnLetter(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** 0-based index of column letters: A → 0, AA → 26. */
export function columnIndex(letters: string): number {
  return [...letters.toUpperCase()].reduce((sum, letter) => sum * 26 + (letter.charCodeAt(0) - 64), 0) - 1;
}

/** The first and last row of an A1 range Google answered ("'Leads'!A5:C6" → 5 and 6). */
export function rowsOfRange(range: string): { firstRow: number; lastRow: number } | undefined {
  const cells = range.slice(range.lastIndexOf('!') + 1);
  const match = /^[A-Z]*(\d+)(?::[A-Z]*(\d+))?$/.exec(cells);
  if (!match) return undefined;
  const firstRow = Number(match[1]);
  return { firstRow, lastRow: match[2] ? Number(match[2]) : firstRow };
}

/** A ValueRange as Google answers it: `values` is absent for an empty range. */
export const ValueRangeBody = z.object({
  range: z.string().optional(),
  majorDimension: z.string().optional(),
  values: z.array(z.array(CellValue).max(18_278)).max(1_000_000).default([]),
});

/** Column names from a header row: the header text, or the column letter where it is empty or repeated. */
export function columnNames(header: readonly CellValue[], width: number): string[] {
  const names: string[] = [];
  for (let index = 0; index < Math.max(width, header.length); index++) {
    const text = String(header[index] ?? '').trim();
    names.push(text === '' || names.includes(text) ? columnLetter(index) : text);
  }
  return names;
}

/** A row keyed by the column names (cells past the row's end are empty strings). */
export function rowObject(names: readonly string[], cells: readonly CellValue[]): Record<string, CellValue> {
  return Object.fromEntries(names.map((name, index) => [name, cells[index] ?? '']));
}

/** A header name or column letter → its 0-based index; undefined when neither matches. */
export function findColumn(header: readonly CellValue[], column: string): number | undefined {
  const wanted = column.trim().toLowerCase();
  const byName = header.findIndex((cell) => String(cell).trim().toLowerCase() === wanted);
  if (byName >= 0) return byName;
  return /^[A-Za-z]{1,3}$/.test(column.trim()) ? columnIndex(column.trim()) : undefined;
}

/**
 * A row given as an object, as cells in the header's column order; `fill` is what a column the object does not name
 * gets (null leaves the cell unchanged in an update, '' leaves it empty in an append). An unknown key is E_PARAMS.
 */
export function cellsByHeader(
  header: readonly CellValue[],
  row: Readonly<Record<string, z.infer<typeof CellInput>>>,
  fill: null | '',
): z.infer<typeof CellInput>[] {
  const cells: z.infer<typeof CellInput>[] = header.map(() => fill);
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(row)) {
    const index = findColumn(header, key);
    if (index === undefined) unknown.push(key);
    else {
      while (cells.length <= index) cells.push(fill);
      cells[index] = value;
    }
  }
  if (unknown.length > 0) {
    const known = header.map(String).filter((name) => name.trim() !== '');
    throw new ConnectorError({
      code: 'E_PARAMS',
      message: `googlesheets: the header row has no column ${unknown.map((key) => `"${key}"`).join(', ')} (it has ${known.length > 0 ? known.map((name) => `"${name}"`).join(', ') : 'no header'}).`,
      retryable: false,
      hint: 'Use the exact names of row 1 as keys (case does not matter), column letters ("C"), or give the row as an array of cells in column order.',
    });
  }
  while (cells.length > 0 && cells.at(-1) === fill) cells.pop();
  return cells;
}

/** The number of cells of the longest row. */
export function widthOf(rows: readonly (readonly unknown[])[]): number {
  return rows.reduce((width, row) => Math.max(width, row.length), 0);
}
