import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalPdf } from '../../connectors/file/testing/minimal-pdf.ts';
import { tinyDocx } from '../../connectors/file/testing/tiny-docx.ts';
import { fileConnector, httpConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { type RunView, waitForRun } from '../store/run-store.ts';

// file.extract and file.convert as steps of workflows on the real worker: files downloaded by http.request from a
// local server, read, written and uploaded back to it, which checks what arrives; malformed files fail their step
// with a file error and the worker goes on running the next workflow.

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let server: Server;
let base = '';
const served = new Map<string, { type: string; body: Uint8Array }>();
const uploads = new Map<string, { contentType: string; body: Buffer }>();

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  if (request.method === 'PUT') {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    uploads.set(path, { contentType: String(request.headers['content-type']), body: Buffer.concat(chunks) });
    response.writeHead(204);
    response.end();
    return;
  }
  const file = served.get(path);
  if (!file) {
    response.writeHead(404);
    response.end();
    return;
  }
  response.writeHead(200, { 'content-type': file.type });
  response.end(file.body);
}

function serve(path: string, type: string, body: Uint8Array | string): string {
  served.set(path, { type, body: typeof body === 'string' ? new Uint8Array(Buffer.from(body)) : body });
  return `${base}${path}`;
}

async function run(name: string, nodes: unknown[]): Promise<RunView> {
  const edges = nodes.slice(1).map((node, index) => ({
    from: (nodes[index] as { id: string }).id,
    to: (node as { id: string }).id,
  }));
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name: `${name} ${Math.random()}`,
    trigger: { type: 'manual' },
    nodes,
    edges,
  });
  const { runId } = await startRun(db.sql, id, {});
  return waitForRun(db.sql, runId, { timeoutMs: 30_000 });
}

const step = (view: RunView, id: string) => {
  const found = view.steps.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no step ${id}: ${JSON.stringify(view.steps)}`);
  return found as { status: string; output: unknown; error: unknown };
};
const download = (url: string) => ({
  id: 'download',
  uses: 'http.request',
  retry: { maxAttempts: 1 },
  with: { url, responseType: 'file' },
});
const upload = (path: string, from = 'write') => ({
  id: 'upload',
  uses: 'http.request',
  retry: { maxAttempts: 1 },
  with: { method: 'PUT', url: `${base}${path}`, body: `{{ steps.${from}.output.file }}` },
});

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'), VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [httpConnector, fileConnector],
    },
  );
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
});

describe('when a PDF invoice arrives, extract the total and append a row', () => {
  it('downloads the PDF, reads its text, picks the total, writes a CSV row and uploads it', async () => {
    const url = serve(
      '/invoices/42.pdf',
      'application/pdf',
      minimalPdf([['ACME GmbH', 'Invoice INV-42', 'Total: 1234.50 EUR'], ['Thank you']]),
    );
    const view = await run('invoice', [
      download(url),
      { id: 'read', uses: 'file.extract', with: { file: '{{ steps.download.output.file }}', format: 'pdf' } },
      {
        id: 'total',
        uses: 'core.transform',
        with: { value: '{{ $match(steps.read.output.text, /Total:\\s*([0-9.]+)/).groups[0] }}' },
      },
      {
        id: 'write',
        uses: 'file.convert',
        with: {
          format: 'csv',
          name: 'ledger',
          rows: [{ invoice: 'INV-42', total: '{{ steps.total.output }}', currency: 'EUR' }],
        },
      },
      upload('/ledger.csv'),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(step(view, 'download').output).toMatchObject({ file: { contentType: 'application/pdf' } });
    expect(step(view, 'read').output).toEqual({ text: expect.stringContaining('Total: 1234.50 EUR') });
    expect(step(view, 'total').output).toBe('1234.50');
    expect(step(view, 'write').output).toMatchObject({
      file: { name: 'ledger.csv', contentType: 'text/csv' },
    });
    const received = uploads.get('/ledger.csv');
    expect(received?.contentType).toBe('text/csv');
    expect(parse(received?.body ?? '', { columns: true })).toEqual([
      { invoice: 'INV-42', total: '1234.50', currency: 'EUR' },
    ]);
  });
});

describe('round trips through the worker', () => {
  it('csv: rows extracted, written again and uploaded unchanged', async () => {
    const csv = 'sku;qty\nA-1;3\n"B;2";0\n';
    const view = await run('csv', [
      download(serve('/in.csv', 'text/csv', csv)),
      {
        id: 'read',
        uses: 'file.extract',
        with: { file: '{{ steps.download.output.file }}', format: 'csv', delimiter: ';' },
      },
      {
        id: 'write',
        uses: 'file.convert',
        with: { format: 'csv', name: 'out.csv', delimiter: ';', rows: '{{ steps.read.output.rows }}' },
      },
      upload('/out.csv'),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(step(view, 'read').output).toEqual({
      rows: [
        { sku: 'A-1', qty: '3' },
        { sku: 'B;2', qty: '0' },
      ],
    });
    expect(uploads.get('/out.csv')?.body.toString()).toBe(csv);
  });

  it('xlsx: a workbook made by exceljs, one sheet read by name, written as a new workbook', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Summary').addRow(['ignored']);
    const sheet = workbook.addWorksheet('Orders');
    sheet.addRow(['order', 'amount', 'paid']);
    sheet.addRow(['o-1', 12.5, true]);
    sheet.addRow(['o-2', 7, false]);
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    const view = await run('xlsx', [
      download(serve('/orders.xlsx', 'application/octet-stream', bytes)),
      {
        id: 'read',
        uses: 'file.extract',
        with: { file: '{{ steps.download.output.file }}', format: 'xlsx', sheet: 'Orders' },
      },
      {
        id: 'write',
        uses: 'file.convert',
        with: {
          format: 'xlsx',
          name: 'paid',
          sheet: 'Paid',
          columns: ['order', 'amount', 'paid'],
          // One match: JSONata gives the object itself, which counts as one row.
          rows: '{{ steps.read.output.rows[paid = true] }}',
        },
      },
      upload('/paid.xlsx'),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(step(view, 'download').output).toMatchObject({
      file: { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
    });
    const back = new ExcelJS.Workbook();
    await back.xlsx.load(uploads.get('/paid.xlsx')?.body as unknown as ExcelJS.Buffer);
    const paid = back.getWorksheet('Paid');
    expect(paid?.getRow(1).values).toEqual([undefined, 'order', 'amount', 'paid']);
    expect(paid?.getRow(2).values).toEqual([undefined, 'o-1', 12.5, true]);
    expect(paid?.rowCount).toBe(2);
  });

  it('docx: the text of a tiny docx, written out as a text file', async () => {
    const view = await run('docx', [
      download(serve('/letter.docx', 'application/octet-stream', tinyDocx(['Dear Ada,', 'all paid.']))),
      {
        id: 'read',
        uses: 'file.extract',
        with: { file: '{{ steps.download.output.file }}', format: 'docx' },
      },
      {
        id: 'write',
        uses: 'file.convert',
        with: { format: 'text', name: 'letter', text: '{{ steps.read.output.text }}' },
      },
      upload('/letter.txt'),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(uploads.get('/letter.txt')?.body.toString()).toBe('Dear Ada,\n\nall paid.');
  });

  it('json and xml: data read from one format and written in the other', async () => {
    const xml = '<?xml version="1.0"?><order id="7"><item>a</item><item>b &amp; c</item></order>';
    const view = await run('xml', [
      download(serve('/order.xml', 'application/xml', xml)),
      { id: 'read', uses: 'file.extract', with: { file: '{{ steps.download.output.file }}', format: 'xml' } },
      {
        id: 'write',
        uses: 'file.convert',
        with: { format: 'json', name: 'order', data: '{{ steps.read.output.data }}' },
      },
      upload('/order.json'),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const data = { order: { '@id': '7', item: ['a', 'b & c'] } };
    expect(JSON.parse(uploads.get('/order.json')?.body.toString() ?? '')).toEqual(data);
    const again = await run('json', [
      download(serve('/order2.json', 'application/json', JSON.stringify(data))),
      {
        id: 'read',
        uses: 'file.extract',
        with: { file: '{{ steps.download.output.file }}', format: 'json' },
      },
      {
        id: 'write',
        uses: 'file.convert',
        with: { format: 'xml', name: 'order', data: '{{ steps.read.output.data }}' },
      },
      upload('/order2.xml'),
    ]);
    expect(again.status, JSON.stringify(again.steps)).toBe('succeeded');
    expect(uploads.get('/order2.xml')?.body.toString()).toContain('<order id="7">');
    expect(uploads.get('/order2.xml')?.body.toString()).toContain('<item>b &amp; c</item>');
  });

  it('html: a page read as text, and rows written as an escaped html table', async () => {
    const html = '<html><body><h1>Report</h1><script>evil()</script><p>All <b>good</b>.</p></body></html>';
    const view = await run('html', [
      download(serve('/page.html', 'text/html', html)),
      {
        id: 'read',
        uses: 'file.extract',
        with: { file: '{{ steps.download.output.file }}', format: 'html' },
      },
      {
        id: 'write',
        uses: 'file.convert',
        with: { format: 'html', name: 'table', rows: [{ text: '{{ steps.read.output.text }}', tag: '<b>' }] },
      },
      upload('/table.html'),
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(step(view, 'read').output).toEqual({ text: 'Report\n\nAll good.' });
    const page = uploads.get('/table.html')?.body.toString() ?? '';
    expect(page).toContain('<td>&lt;b&gt;</td>');
    expect(page).not.toContain('evil');
  });
});

describe('malformed files fail their step, and the worker runs the next workflow', () => {
  const lol = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">${Array.from(
    { length: 8 },
    (_, i) => `<!ENTITY ${'b'.repeat(i + 1)} "${`&${i === 0 ? 'a' : 'b'.repeat(i)};`.repeat(10)}">`,
  ).join('')}]><l>&bbbbbbbb;</l>`;
  const cases: {
    name: string;
    format: string;
    type: string;
    body: () => Uint8Array | string;
    code: string;
  }[] = [
    {
      name: 'a truncated PDF',
      format: 'pdf',
      type: 'application/pdf',
      body: () => minimalPdf([['Total: 1']]).slice(0, 150),
      code: 'E_FILE_FORMAT',
    },
    {
      name: 'a zip bomb as xlsx',
      format: 'xlsx',
      type: 'application/zip',
      body: () => zipSync({ 'xl/worksheets/sheet1.xml': new Uint8Array(50 * 1024 * 1024) }, { level: 1 }),
      code: 'E_FILE_LIMIT',
    },
    {
      name: 'a corrupt docx',
      format: 'docx',
      type: 'application/octet-stream',
      body: () => tinyDocx(['x']).slice(0, 120),
      code: 'E_FILE_FORMAT',
    },
    {
      name: 'billion laughs',
      format: 'xml',
      type: 'application/xml',
      body: () => lol,
      code: 'E_FILE_FORMAT',
    },
    {
      name: 'random bytes as csv',
      format: 'csv',
      type: 'text/csv',
      body: () => new Uint8Array([0xff, 0x00, 0xfe, 0x81, 0x90, 0xc3]),
      code: 'E_FILE_FORMAT',
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.name}: ${testCase.code}, then a healthy run`, async () => {
      const path = `/bad/${testCase.format}-${Math.random()}`;
      const view = await run(testCase.name, [
        download(serve(path, testCase.type, testCase.body())),
        {
          id: 'read',
          uses: 'file.extract',
          retry: { maxAttempts: 1 },
          with: { file: '{{ steps.download.output.file }}', format: testCase.format },
        },
      ]);
      expect(view.status).toBe('failed');
      expect(step(view, 'read').error).toMatchObject({ code: testCase.code });
      const next = await run('after', [
        download(serve('/ok.txt', 'text/plain', 'still here')),
        {
          id: 'read',
          uses: 'file.extract',
          with: { file: '{{ steps.download.output.file }}', format: 'text' },
        },
      ]);
      expect(next.status).toBe('succeeded');
      expect(step(next, 'read').output).toEqual({ text: 'still here' });
    });
  }

  it('deeply nested HTML gives its text without exhausting the stack', async () => {
    const depth = 50_000;
    const view = await run('deep html', [
      download(
        serve('/deep.html', 'text/html', `${'<div>'.repeat(depth)}x${'</div>'.repeat(depth)}<p>end</p>`),
      ),
      {
        id: 'read',
        uses: 'file.extract',
        with: { file: '{{ steps.download.output.file }}', format: 'html' },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(step(view, 'read').output).toEqual({ text: expect.stringContaining('end') });
  });

  it('the validator refuses options for another format and file.convert without its content', async () => {
    const refused = await engine.workflows
      .create({
        schemaVersion: 1,
        name: 'bad options',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'read',
            uses: 'file.extract',
            with: { file: '{{ trigger.file }}', format: 'csv', sheet: 'Orders' },
          },
          { id: 'write', uses: 'file.convert', with: { format: 'csv', name: 'x.csv', text: 'hello' } },
        ],
        edges: [{ from: 'read', to: 'write' }],
      })
      .then(
        () => undefined,
        (error: unknown) => error as { message: string; details?: unknown },
      );
    const said = JSON.stringify({ message: refused?.message, details: refused?.details });
    expect(said).toContain('`sheet` applies to format \\"xlsx\\" only');
    expect(said).toContain('is written from `rows`');
  });
});
