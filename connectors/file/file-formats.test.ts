import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../sdk/connector-error.ts';
import { renderFile } from './convert/render-file.ts';
import { type ExtractOptions, extractContent } from './extract/index.ts';
import type { ConvertFormat, FileFormat } from './formats.ts';
import { bytesStream } from './testing/bytes-stream.ts';
import { minimalPdf } from './testing/minimal-pdf.ts';
import { tinyDocx } from './testing/tiny-docx.ts';

// The formats on their own, through the libraries (the engine test runs them as workflow steps): round trips of
// file.convert and file.extract, files made by exceljs, a hand-built PDF and docx, and caps and refusals.

const options = (name: string, extra: Partial<ExtractOptions> = {}): ExtractOptions => ({
  name,
  maxRows: 10_000,
  maxChars: 1_000_000,
  ...extra,
});

function extract(format: FileFormat, bytes: Uint8Array | string, extra: Partial<ExtractOptions> = {}) {
  return extractContent(format, bytesStream(bytes, 1_000), options(`test.${format}`, extra));
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConnectorError) return error;
    throw new Error(`expected a ConnectorError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the extraction to fail');
}

const render = (format: ConvertFormat, source: Parameters<typeof renderFile>[1]) =>
  renderFile(format, source, 'test');

const ROWS = [
  { invoice: 'INV-1', customer: 'Ada, Ltd.', total: '1234.50', note: 'said "hi"\nthen left' },
  { invoice: 'INV-2', customer: 'Bob', total: '99', note: '' },
];

describe('round trips: file.convert then file.extract', () => {
  it('csv: rows with commas, quotes and line breaks come back as written, values as strings', async () => {
    const file = await render('csv', { rows: ROWS, escapeFormulas: true });
    expect(file.contentType).toBe('text/csv');
    expect(await extract('csv', file.bytes)).toEqual({ rows: ROWS });
  });

  it('csv: another delimiter both ways, chosen columns in their order, formulas escaped', async () => {
    const file = await render('csv', {
      rows: [{ a: '=HYPERLINK("x")', b: 2, c: true }],
      columns: ['c', 'a'],
      delimiter: ';',
      escapeFormulas: true,
    });
    const text = Buffer.from(file.bytes).toString('utf8');
    expect(text.split('\n')[0]).toBe('c;a');
    expect(await extract('csv', file.bytes, { delimiter: ';' })).toEqual({
      rows: [{ c: 'true', a: `'=HYPERLINK("x")` }],
    });
  });

  it('xlsx: numbers and booleans keep their type, the sheet is named', async () => {
    const rows = [
      { sku: 'A-1', qty: 3, price: 9.5, paid: true },
      { sku: 'B-2', qty: 0, price: 12, paid: false },
    ];
    const file = await render('xlsx', { rows, sheet: 'Orders', escapeFormulas: true });
    expect(await extract('xlsx', file.bytes, { sheet: 'Orders' })).toEqual({ rows });
    const missing = await failure(extract('xlsx', file.bytes, { sheet: 'Nope' }));
    expect(missing.code).toBe('E_FILE_SHEET');
    expect(missing.hint).toContain('"Orders"');
  });

  it('json and xml: data comes back as written (xml values as text)', async () => {
    const data = { order: { '@id': '7', item: ['a', 'b & c'], total: '12.50' } };
    const json = await render('json', { data, escapeFormulas: true });
    expect(await extract('json', json.bytes)).toEqual({ data });
    const xml = await render('xml', { data, escapeFormulas: true });
    expect(Buffer.from(xml.bytes).toString()).toContain('<order id="7">');
    expect(await extract('xml', xml.bytes)).toEqual({ data });
  });

  it('xml: rows become <rows><row>; keys that are not XML names are a clear E_PARAMS', async () => {
    const xml = await render('xml', { rows: [{ a: '1' }, { a: '2' }], escapeFormulas: true });
    expect(await extract('xml', xml.bytes)).toEqual({ data: { rows: { row: [{ a: '1' }, { a: '2' }] } } });
    const bad = await render('xml', { data: { 'not a name': 1 }, escapeFormulas: true }).catch(
      (error: unknown) => error,
    );
    expect(bad).toMatchObject({ code: 'E_PARAMS' });
  });

  it('html: a table of rows and a <pre> of text, escaped, read back as text', async () => {
    const table = await render('html', {
      rows: [{ name: '<script>alert(1)</script>', total: 5 }],
      escapeFormulas: true,
    });
    const markup = Buffer.from(table.bytes).toString();
    expect(markup).not.toContain('<script>');
    expect(markup).toContain('&lt;script&gt;');
    const { text } = (await extract('html', table.bytes)) as { text: string };
    expect(text).toContain('<script>alert(1)</script>');
    expect(text).toContain('5');
    const pre = await render('html', { text: 'line one\nline <two>', escapeFormulas: true });
    expect(await extract('html', pre.bytes)).toEqual({ text: 'line one\nline <two>' });
  });

  it('text: UTF-8 both ways, a BOM dropped', async () => {
    const file = await render('text', { text: 'Grüße — 東京', escapeFormulas: true });
    expect(await extract('text', file.bytes)).toEqual({ text: 'Grüße — 東京' });
    expect(await extract('text', Buffer.from('\ufeffhello'))).toEqual({ text: 'hello' });
  });

  it('names the source a format is written from when it is missing', async () => {
    await expect(render('csv', { text: 'x', escapeFormulas: true })).rejects.toMatchObject({
      code: 'E_PARAMS',
      message: expect.stringContaining('`rows`'),
    });
  });
});

describe('files made elsewhere', () => {
  it('xlsx by exceljs: headers from the first row, dates, formulas, rich text, links, blank and repeated headers', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Cover').addRow(['nothing here']);
    const sheet = workbook.addWorksheet('Data');
    sheet.addRow(['Name', 'When', 'Sum', '', 'Name']);
    sheet.addRow([
      { richText: [{ text: 'Ada ' }, { text: 'L.', font: { bold: true } }] },
      new Date('2026-01-02T03:04:05.000Z'),
      { formula: '1+2', result: 3 },
      { text: 'site', hyperlink: 'https://example.com' },
      'second',
    ]);
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    expect(await extract('xlsx', bytes, { sheet: 'Data' })).toEqual({
      rows: [
        { Name: 'Ada L.', When: '2026-01-02T03:04:05.000Z', Sum: 3, column_4: 'site', Name_2: 'second' },
      ],
    });
    expect(await extract('xlsx', bytes)).toEqual({ rows: [] });
  });

  it('pdf: the text of every page of a hand-built PDF', async () => {
    const pdf = minimalPdf([['Invoice 42', 'Total: 1234.50 EUR'], ['Thank you (really)']]);
    const { text } = (await extract('pdf', pdf)) as { text: string };
    expect(text).toContain('Total: 1234.50 EUR');
    expect(text).toContain('Thank you (really)');
  });

  it('docx: the paragraphs of a tiny docx built with fflate', async () => {
    const docx = tinyDocx(['Dear Ada,', 'the total is 42 & change.']);
    expect(await extract('docx', docx)).toEqual({ text: 'Dear Ada,\n\nthe total is 42 & change.' });
  });

  it('csv: a header-only file has no rows; blank lines are skipped; short rows keep the keys they have', async () => {
    expect(await extract('csv', 'a,b\n')).toEqual({ rows: [] });
    expect(await extract('csv', 'a,b\n1,2\n\n3\n')).toEqual({ rows: [{ a: '1', b: '2' }, { a: '3' }] });
  });
});

describe('caps', () => {
  it('rows past maxRows fail with E_FILE_LIMIT (csv, read as a stream, and xlsx)', async () => {
    const csv = `n\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\n`;
    const error = await failure(extract('csv', csv, { maxRows: 10 }));
    expect(error).toMatchObject({ code: 'E_FILE_LIMIT', retryable: false });
    expect(error.message).toContain('more than 10 rows');
    expect(error.hint).toContain('maxRows');
    const xlsx = await render('xlsx', {
      rows: Array.from({ length: 20 }, (_, n) => ({ n })),
      escapeFormulas: true,
    });
    expect((await failure(extract('xlsx', xlsx.bytes, { maxRows: 5 }))).code).toBe('E_FILE_LIMIT');
  });

  it('text past maxChars fails with E_FILE_LIMIT, for text, pdf, docx and html', async () => {
    const long = 'x'.repeat(500);
    expect((await failure(extract('text', long, { maxChars: 100 }))).code).toBe('E_FILE_LIMIT');
    expect(
      (await failure(extract('pdf', minimalPdf([Array(10).fill('x'.repeat(50))]), { maxChars: 100 }))).code,
    ).toBe('E_FILE_LIMIT');
    expect((await failure(extract('docx', tinyDocx([long]), { maxChars: 100 }))).code).toBe('E_FILE_LIMIT');
    expect((await failure(extract('html', `<p>${long}</p>`, { maxChars: 100 }))).code).toBe('E_FILE_LIMIT');
  });

  it('a whole-file format larger than 20 MiB fails before it is parsed', async () => {
    const big = new Uint8Array(20 * 1024 * 1024 + 1).fill(0x20);
    const error = await failure(extractContent('json', bytesStream(big), options('big.json')));
    expect(error.code).toBe('E_FILE_LIMIT');
    expect(error.message).toContain('20971520');
  });
});
