import ExcelJS from 'exceljs';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { fileFormatError } from '../file-errors.ts';
import { uniqueHeaders } from '../headers.ts';
import { MAX_PARSE_BYTES } from '../limits.ts';
import { readBytes } from '../read-bytes.ts';
import { boundedZip } from '../safe-zip.ts';
import type { Extractor, Row } from './extract-options.ts';
import { tooManyRows } from './limits-check.ts';

/** A cell as JSON: numbers, strings and booleans as they are, dates as ISO text, a formula as its last result. */
export function cellValue(value: ExcelJS.CellValue): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== 'object') return value;
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('hyperlink' in value) return cellValue(value.text as ExcelJS.CellValue);
  if ('formula' in value || 'sharedFormula' in value) return cellValue(value.result as ExcelJS.CellValue);
  if ('error' in value) return value.error;
  return null;
}

/** Rows of one worksheet (default the first), keyed by its first row, read by exceljs from a bounded archive. */
export const extractXlsx: Extractor = async (stream, options) => {
  const bytes = await readBytes(stream, MAX_PARSE_BYTES, options.name, 'xlsx');
  const archive = boundedZip(bytes, 'xlsx', options.name);
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(Buffer.from(archive) as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw fileFormatError('xlsx', options.name, describe(error), error);
  }
  const names = workbook.worksheets.map((sheet) => sheet.name);
  if (names.length === 0)
    throw fileFormatError('xlsx', options.name, 'it has no worksheets (is it a spreadsheet?)');
  const worksheet =
    options.sheet === undefined ? workbook.worksheets[0] : workbook.getWorksheet(options.sheet);
  if (!worksheet) {
    throw new ConnectorError({
      code: 'E_FILE_SHEET',
      message: `file.extract: "${options.name}" has no worksheet named "${options.sheet}".`,
      retryable: false,
      hint: `Its sheets are: ${names.map((name) => `"${name}"`).join(', ')}.`,
      details: { sheets: names },
    });
  }
  let headers: string[] | undefined;
  const rows: Row[] = [];
  worksheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: unknown[] = [];
    for (let column = 1; column <= Math.max(row.cellCount, headers?.length ?? 0); column++) {
      cells.push(cellValue(row.getCell(column).value));
    }
    if (!headers) {
      headers = uniqueHeaders(cells);
      return;
    }
    if (rows.length >= options.maxRows) throw tooManyRows(options.name, options.maxRows);
    const record: Row = {};
    headers.forEach((header, index) => {
      record[header] = cells[index] ?? null;
    });
    rows.push(record);
  });
  return { rows };
};

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
