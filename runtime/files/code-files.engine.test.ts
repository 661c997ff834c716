import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileConnector, httpConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { type RunView, waitForRun } from '../store/run-store.ts';

// core.code's `files` API on the real worker: a file downloaded by http.request is read inside the sandbox,
// transformed and written as a new file that file.extract then parses; the run's rules hold (another run's file
// cannot be read), the per-step cap fails the step clearly and the worker goes on with the next run.

const CODE_CAP = 256 * 1024;
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let server: Server;
let base = '';
const served = new Map<string, { type: string; body: Uint8Array }>();
const uploads = new Map<string, Buffer>();

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  if (request.method === 'PUT') {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    uploads.set(path, Buffer.concat(chunks));
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

async function run(name: string, nodes: unknown[], trigger: Record<string, unknown> = {}): Promise<RunView> {
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
  const { runId } = await startRun(db.sql, id, trigger);
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
const code = (id: string, body: string, input: unknown) => ({
  id,
  uses: 'core.code',
  retry: { maxAttempts: 1 },
  with: { code: body, input },
});
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

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
      env: {
        VMESH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
        VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
        VMESH_CODE_FILE_MAX_BYTES: String(CODE_CAP),
      },
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

describe('core.code reads and writes files', () => {
  it('reads a downloaded CSV as text, writes a transformed CSV that file.extract parses', async () => {
    const url = serve('/orders.csv', 'text/csv', 'sku,qty\na-1,3\nb-2,0\nc-3,7\n');
    const view = await run('csv transform', [
      download(url),
      code(
        'shape',
        [
          "const text = await files.read(input.file, { as: 'text' });",
          "const [header, ...lines] = text.trim().split('\\n');",
          "const rows = lines.map((line) => line.split(',')).filter(([, qty]) => Number(qty) > 0);",
          "const csv = ['sku,qty,double', ...rows.map(([sku, qty]) => [sku.toUpperCase(), qty, qty * 2].join(','))].join('\\n');",
          "const file = await files.write({ name: 'big-orders.csv', contentType: 'text/csv', data: csv + '\\n' });",
          'return { file, kept: rows.length, header };',
        ].join('\n'),
        { file: '{{ steps.download.output.file }}' },
      ),
      {
        id: 'parse',
        uses: 'file.extract',
        with: { file: '{{ steps.shape.output.file }}', format: 'csv' },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const shaped = step(view, 'shape').output as { file: Record<string, unknown>; kept: number };
    expect(shaped.kept).toBe(2);
    const expected = 'sku,qty,double\nA-1,3,6\nC-3,7,14\n';
    expect(shaped.file).toMatchObject({
      name: 'big-orders.csv',
      contentType: 'text/csv',
      size: expected.length,
      sha256: sha(Buffer.from(expected)),
    });
    expect(step(view, 'parse').output).toEqual({
      rows: [
        { sku: 'A-1', qty: '3', double: '6' },
        { sku: 'C-3', qty: '7', double: '14' },
      ],
    });
    // The written file is a file of the run, like any other step's.
    const [row] = await db.sql`select run_id, node_id from files where id = ${String(shaped.file.id)}`;
    expect(row).toMatchObject({ runId: view.runId, nodeId: 'shape' });
  });

  it('round-trips binary bytes (Uint8Array and base64) with the same sha256', async () => {
    const bytes = new Uint8Array(randomBytes(50_000));
    bytes[0] = 0;
    bytes[1] = 0xff;
    const view = await run('binary', [
      download(serve('/blob.bin', 'application/octet-stream', bytes)),
      code(
        'copy',
        [
          "const data = await files.read(input.file, { as: 'bytes' });",
          'const flipped = new Uint8Array(data.length);',
          'for (let i = 0; i < data.length; i++) flipped[i] = data[i] ^ 0xff;',
          "const b64 = await files.read(input.file, { as: 'base64' });",
          "const same = await files.write({ name: 'same.bin', data: b64, encoding: 'base64' });",
          "const xor = await files.write({ name: 'xor.bin', data: flipped.subarray(0), contentType: 'application/octet-stream' });",
          'return { same, xor, first: data[0], second: data[1], length: data.length, isBytes: data instanceof Uint8Array };',
        ].join('\n'),
        { file: '{{ steps.download.output.file }}' },
      ),
      {
        id: 'upload',
        uses: 'http.request',
        retry: { maxAttempts: 1 },
        with: { method: 'PUT', url: `${base}/xor.bin`, body: '{{ steps.copy.output.xor }}' },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const out = step(view, 'copy').output as {
      same: { sha256: string; size: number };
      xor: { sha256: string };
      first: number;
      second: number;
      length: number;
      isBytes: boolean;
    };
    expect(out).toMatchObject({ first: 0, second: 255, length: bytes.length, isBytes: true });
    expect(out.same).toMatchObject({ sha256: sha(bytes), size: bytes.length });
    const flipped = bytes.map((byte) => byte ^ 0xff);
    expect(out.xor.sha256).toBe(sha(flipped));
    expect(sha(uploads.get('/xor.bin') ?? Buffer.alloc(0))).toBe(sha(flipped));
  });

  it('cannot read a file of another run (E_FILE_NOT_FOUND), nor a made-up reference', async () => {
    const first = await run('owner', [download(serve('/secret.txt', 'text/plain', 'top secret'))]);
    expect(first.status).toBe('succeeded');
    const ref = (step(first, 'download').output as { file: unknown }).file;
    const thief = await run(
      'thief',
      [code('steal', "return await files.read(input.file, { as: 'text' });", { file: '{{ trigger.file }}' })],
      { file: ref },
    );
    expect(thief.status).toBe('failed');
    expect(step(thief, 'steal').error).toMatchObject({
      code: 'E_FILE_NOT_FOUND',
      hint: expect.stringContaining('same run'),
    });
    // A caught error is the code's to handle: it sees the code and the message.
    const caught = await run(
      'caught',
      [
        code(
          'probe',
          "try { await files.read(input.file); return 'read'; } catch (error) { return { code: error.code, message: error.message }; }",
          { file: '{{ trigger.file }}' },
        ),
      ],
      { file: { ...(ref as object), id: `f_${'A'.repeat(32)}` } },
    );
    expect(caught.status).toBe('succeeded');
    expect(step(caught, 'probe').output).toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    const bad = await run('bad ref', [
      code('bad', "return await files.read({ id: '../etc/passwd' });", null),
    ]);
    expect(step(bad, 'bad').error).toMatchObject({ code: 'E_FILE_ARGUMENT' });
  });

  it('fails a write over the per-step cap with E_FILE_TOO_LARGE and a hint; the next run succeeds', async () => {
    const over = await run('too big', [
      code(
        'big',
        [
          "const chunk = 'x'.repeat(100 * 1024);",
          "await files.write({ name: 'a.txt', data: chunk });",
          "await files.write({ name: 'b.txt', data: chunk });",
          "await files.write({ name: 'c.txt', data: chunk });",
          "return 'written';",
        ].join('\n'),
        null,
      ),
    ]);
    expect(over.status).toBe('failed');
    const error = step(over, 'big').error as { code: string; message: string; hint: string };
    expect(error.code).toBe('E_FILE_TOO_LARGE');
    expect(error.message).toContain('c.txt');
    expect(error.message).toContain(String(CODE_CAP));
    expect(error.hint).toContain('VMESH_CODE_FILE_MAX_BYTES');
    // Reading over the cap fails the same way (the file is bigger than what the step may read).
    const large = serve('/large.txt', 'text/plain', 'y'.repeat(CODE_CAP + 1));
    const tooLong = await run('read too big', [
      download(large),
      code('slurp', 'return (await files.read(input.file)).length;', {
        file: '{{ steps.download.output.file }}',
      }),
    ]);
    expect(step(tooLong, 'slurp').error).toMatchObject({ code: 'E_FILE_TOO_LARGE' });
    const next = await run('after', [
      code('ok', "const f = await files.write({ name: 'ok.txt', data: 'fine' }); return f.size;", null),
    ]);
    expect(next.status, JSON.stringify(next.steps)).toBe('succeeded');
    expect(step(next, 'ok').output).toBe(4);
  });

  it('counts file calls in the time limit, and still has no require, process or fs', async () => {
    const view = await run('sandbox', [
      code(
        'probe',
        'return { require: typeof require, process: typeof process, fs: typeof fs, importFn: typeof importScripts, files: Object.keys(files).sort() };',
        null,
      ),
    ]);
    expect(step(view, 'probe').output).toEqual({
      require: 'undefined',
      process: 'undefined',
      fs: 'undefined',
      importFn: 'undefined',
      files: ['read', 'write'],
    });
    const slow = await run('slow', [
      {
        ...code(
          'loop',
          "for (let i = 0; ; i++) await files.write({ name: 'n.txt', data: String(i) });",
          null,
        ),
        timeoutMs: 300,
      },
    ]);
    expect(slow.status).toBe('failed');
    const slowError = step(slow, 'loop').error as { code: string; message: string };
    expect(slowError.code).toMatch(/^(E_CODE_TIMEOUT|E_FILE_TOO_MANY)$/);
  });
});
