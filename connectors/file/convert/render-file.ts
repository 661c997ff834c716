import * as cheerio from 'cheerio';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { XMLBuilder, XMLValidator } from 'fast-xml-parser';
import { ConnectorError } from '../../sdk/connector-error.ts';
import type { ConvertFormat } from '../formats.ts';

export type RenderSource = {
  rows?: Record<string, unknown>[] | undefined;
  data?: unknown;
  text?: string | undefined;
  columns?: string[] | undefined;
  delimiter?: string | undefined;
  sheet?: string | undefined;
  escapeFormulas: boolean;
};

export type RenderedFile = { bytes: Uint8Array; contentType: string; extension: string };

/** Which of `rows`, `data` and `text` each format is written from. */
export const CONVERT_SOURCES: Record<ConvertFormat, readonly ('rows' | 'data' | 'text')[]> = {
  csv: ['rows'],
  xlsx: ['rows'],
  json: ['data', 'rows'],
  xml: ['data', 'rows'],
  text: ['text'],
  html: ['rows', 'text'],
};

const CONTENT_TYPES: Record<ConvertFormat, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json',
  xml: 'application/xml',
  text: 'text/plain',
  html: 'text/html',
};

const EXTENSIONS: Record<ConvertFormat, string> = {
  csv: 'csv',
  xlsx: 'xlsx',
  json: 'json',
  xml: 'xml',
  text: 'txt',
  html: 'html',
};

/** The columns to write: `columns` as given, else every key of the rows in the order first seen. */
export function columnsOf(rows: readonly Record<string, unknown>[], columns: string[] | undefined): string[] {
  if (columns) return columns;
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/** A cell for a text format: strings as they are, other scalars as JSON would write them, objects as JSON. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

/** A cell for exceljs: numbers, strings and booleans as they are; objects as JSON text. */
function xlsxCell(value: unknown): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value) ?? null;
}

function paramsError(message: string, hint: string): ConnectorError {
  return new ConnectorError({
    code: 'E_PARAMS',
    message: `file.convert: ${message}`,
    retryable: false,
    hint,
  });
}

function required<T>(value: T | undefined, field: string, format: ConvertFormat): T {
  if (value === undefined) {
    throw paramsError(
      `format "${format}" is written from \`${field}\`, which is missing.`,
      `Give \`${CONVERT_SOURCES[format].join('` or `')}\`.`,
    );
  }
  return value;
}

async function renderXlsx(rows: Record<string, unknown>[], source: RenderSource): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(source.sheet ?? 'Sheet1');
  const columns = columnsOf(rows, source.columns);
  sheet.addRow(columns);
  for (const row of rows) sheet.addRow(columns.map((column) => xlsxCell(row[column])));
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

function renderHtml(source: RenderSource, title: string): string {
  const $ = cheerio.load(
    '<!doctype html><html><head><meta charset="utf-8"><title></title></head><body></body></html>',
  );
  $('title').text(title);
  if (source.rows) {
    const columns = columnsOf(source.rows, source.columns);
    const table = $('<table></table>');
    const head = $('<tr></tr>');
    for (const column of columns) head.append($('<th></th>').text(column));
    table.append($('<thead></thead>').append(head));
    const body = $('<tbody></tbody>');
    for (const row of source.rows) {
      const line = $('<tr></tr>');
      for (const column of columns) line.append($('<td></td>').text(cellText(row[column])));
      body.append(line);
    }
    $('body').append(table.append(body));
  } else {
    $('body').append($('<pre></pre>').text(required(source.text, 'text', 'html')));
  }
  return $.html();
}

function renderXml(source: RenderSource): string {
  const data = source.data !== undefined ? source.data : { rows: { row: source.rows } };
  const root =
    typeof data === 'object' && data !== null && !Array.isArray(data) && Object.keys(data).length === 1
      ? data
      : { root: Array.isArray(data) ? { item: data } : data };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    textNodeName: '#text',
    format: true,
    suppressEmptyNode: true,
  });
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(root) as string}`;
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw paramsError(
      `the data does not make a valid XML document: ${valid.err.msg}`,
      'Use keys that are XML names (letters, digits, "-", "_", ".", not starting with a digit) and one top-level key as the root element.',
    );
  }
  return xml;
}

/** The bytes of a file of `format` written from the step's rows, data or text. */
export async function renderFile(
  format: ConvertFormat,
  source: RenderSource,
  title: string,
): Promise<RenderedFile> {
  const encode = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
  const done = (bytes: Uint8Array) => ({
    bytes,
    contentType: CONTENT_TYPES[format],
    extension: EXTENSIONS[format],
  });
  switch (format) {
    case 'csv': {
      const rows = required(source.rows, 'rows', format);
      const columns = columnsOf(rows, source.columns);
      const csv = stringify(
        rows.map((row) => columns.map((column) => cellText(row[column]))),
        {
          header: true,
          columns,
          delimiter: source.delimiter ?? ',',
          escape_formulas: source.escapeFormulas,
          record_delimiter: 'unix',
        },
      );
      return done(encode(csv));
    }
    case 'xlsx':
      return done(await renderXlsx(required(source.rows, 'rows', format), source));
    case 'json':
      return done(
        encode(
          `${JSON.stringify(source.data !== undefined ? source.data : required(source.rows, 'rows', format), null, 2)}\n`,
        ),
      );
    case 'xml':
      if (source.data === undefined) required(source.rows, 'rows', format);
      return done(encode(renderXml(source)));
    case 'text':
      return done(encode(required(source.text, 'text', format)));
    case 'html':
      if (source.rows === undefined) required(source.text, 'text', format);
      return done(encode(renderHtml(source, title)));
  }
}
