import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { apiTokenResolver } from '../../app/token-resolver.ts';
import { createRuntimeWorkflowPort } from '../../bots/runtime-workflow-port.ts';
import { httpConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { type RunView, waitForRun } from '../store/run-store.ts';

// Files through the real entry points: workflows on the real worker download with http.request as a file from a
// local server and upload it (raw and multipart/form-data) to another that checks the bytes; the download route
// over HTTP with its permissions; the size caps; content sniffing; a run's files going with the run.

const SHARED = 'shared-token-0123456789abcdef';
const MiB = 1024 * 1024;
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let app: FastifyInstance;
let vendor: Server;
let vendorUrl = '';
let api = '';
const tokens: Record<string, string> = {};
const received: { path: string; contentType: string; size: number; sha256: string; form?: unknown }[] = [];

/** Deterministic bytes that no content sniffer recognises. */
function bytes(size: number, seed = 7): Buffer {
  const out = Buffer.alloc(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out[i] = state >> 16;
  }
  out[0] = 0x01;
  return out;
}
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const REPORT = bytes(MiB + 123);
const PNG = Buffer.concat([
  Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
  bytes(200, 3),
]);

async function readRequest(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function handleVendor(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://vendor');
  if (url.pathname === '/files/report.bin') {
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(REPORT.length),
    });
    response.end(REPORT);
    return;
  }
  if (url.pathname === '/files/picture') {
    // The sender calls it HTML; the bytes are a PNG.
    response.writeHead(200, {
      'content-type': 'text/html',
      'content-disposition': 'attachment; filename="picture.html"',
    });
    response.end(PNG);
    return;
  }
  if (url.pathname === '/files/sized') {
    const size = Number(url.searchParams.get('bytes'));
    const declare = url.searchParams.get('declare') === '1';
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      ...(declare ? { 'content-length': String(size) } : {}),
    });
    // Streamed in pieces without a declared length: the cap has to be enforced while reading.
    let sent = 0;
    const piece = bytes(64 * 1024, 11);
    const pump = () => {
      while (sent < size) {
        const part = piece.subarray(0, Math.min(piece.length, size - sent));
        sent += part.length;
        if (!response.write(part)) {
          response.once('drain', pump);
          return;
        }
      }
      response.end();
    };
    pump();
    response.on('error', () => {});
    return;
  }
  if (url.pathname === '/upload/raw' || url.pathname === '/upload/form') {
    const body = await readRequest(request);
    const contentType = String(request.headers['content-type'] ?? '');
    const entry: (typeof received)[number] = {
      path: url.pathname,
      contentType,
      size: body.length,
      sha256: sha(body),
    };
    if (url.pathname === '/upload/form') {
      // An independent multipart parser: the platform's Request.formData().
      const form = await new Request('http://vendor/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: new Uint8Array(body),
      }).formData();
      const fields: Record<string, unknown> = {};
      for (const [name, value] of form) {
        fields[name] =
          typeof value === 'string'
            ? value
            : {
                fileName: value.name,
                type: value.type,
                size: value.size,
                sha256: sha(new Uint8Array(await value.arrayBuffer())),
              };
      }
      entry.form = fields;
    }
    received.push(entry);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: true, sha256: entry.sha256, size: entry.size }));
    return;
  }
  response.writeHead(404);
  response.end();
}

type Reply = { status: number; headers: Headers; body: Buffer };
async function call(token: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}
const json = (reply: Reply) => JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;

async function runAs(
  user: string,
  nodes: unknown[],
  edges: unknown[] = [],
  scope = 'private',
): Promise<RunView> {
  const created = await call(tokens[user] ?? '', 'POST', '/api/workflows', {
    document: {
      schemaVersion: 1,
      name: `files ${received.length} ${Math.random()}`,
      trigger: { type: 'manual' },
      nodes,
      edges,
    },
    scope,
  });
  expect(created.status, created.body.toString()).toBe(201);
  const started = await call(
    tokens[user] ?? '',
    'POST',
    `/api/workflows/${String(json(created).id)}/runs`,
    {},
  );
  expect(started.status, started.body.toString()).toBe(202);
  return waitForRun(db.sql, String(json(started).runId), { timeoutMs: 30_000 });
}

const download = (id: string, path: string, extra: Record<string, unknown> = {}) => ({
  id,
  uses: 'http.request',
  retry: { maxAttempts: 1 },
  with: { url: `${vendorUrl}${path}`, responseType: 'file', ...extra },
});
const stepOf = (view: RunView, id: string) => {
  const step = view.steps.find((candidate) => candidate.id === id);
  if (!step) throw new Error(`no step ${id} in ${JSON.stringify(view.steps)}`);
  return step as { status: string; output: unknown; error: unknown };
};

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  vendor = createServer((request, response) => {
    handleVendor(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
  const address = vendor.address();
  vendorUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  engine = await createEngineServices(database, {
    env: {
      VMESH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
      VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
      VMESH_FILE_MAX_BYTES: String(3 * MiB),
      VMESH_RUN_FILES_MAX_BYTES: String(5 * MiB),
    },
    connectors: [httpConnector],
  });
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: SHARED, publicUrl: 'http://localhost' },
    principalResolvers: [apiTokenResolver(db.sql)],
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  api = await app.listen({ host: '127.0.0.1', port: 0 });
  worker = await engine.startWorker({ concurrency: 4 });
  for (const name of ['alice', 'bob']) {
    expect((await call(SHARED, 'POST', '/api/users', { name, role: 'builder' })).status).toBe(201);
    const minted = await call(SHARED, 'POST', '/api/tokens', { user: name, name: `${name}-token` });
    tokens[name] = String(json(minted).token);
  }
});

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  vendor?.closeAllConnections();
  await new Promise((resolve) => vendor?.close(resolve));
  await db?.drop();
});

describe('files through http.request on the real worker', () => {
  let view: RunView;
  beforeAll(async () => {
    view = await runAs(
      'alice',
      [
        download('fetch', '/files/report.bin'),
        {
          id: 'raw',
          uses: 'http.request',
          retry: { maxAttempts: 1 },
          with: { method: 'PUT', url: `${vendorUrl}/upload/raw`, body: '{{ steps.fetch.output.file }}' },
        },
        {
          id: 'form',
          uses: 'http.request',
          retry: { maxAttempts: 1 },
          with: {
            method: 'POST',
            url: `${vendorUrl}/upload/form`,
            multipart: [
              { name: 'title', value: 'Quarterly report' },
              { name: 'document', file: '{{ steps.fetch.output.file }}', fileName: 'q3.bin' },
            ],
          },
        },
      ],
      [
        { from: 'fetch', to: 'raw' },
        { from: 'raw', to: 'form' },
      ],
    );
  });

  it('downloads as a file: the output is { status, headers, file } with a reference, not the bytes', () => {
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const output = stepOf(view, 'fetch').output as Record<string, unknown>;
    expect(Object.keys(output).sort()).toEqual(['file', 'headers', 'status']);
    expect(output.status).toBe(200);
    expect(output.file).toEqual({
      id: expect.stringMatching(/^f_[A-Za-z0-9_-]{32}$/),
      name: 'report.bin',
      contentType: 'application/octet-stream',
      size: REPORT.length,
      sha256: sha(REPORT),
    });
  });

  it('uploads the stored file raw and as multipart/form-data, byte for byte', () => {
    const raw = received.find((entry) => entry.path === '/upload/raw');
    expect(raw).toMatchObject({
      size: REPORT.length,
      sha256: sha(REPORT),
      contentType: 'application/octet-stream',
    });
    const form = received.find((entry) => entry.path === '/upload/form');
    expect(form?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(form?.form).toEqual({
      title: 'Quarterly report',
      document: {
        fileName: 'q3.bin',
        type: 'application/octet-stream',
        size: REPORT.length,
        sha256: sha(REPORT),
      },
    });
  });

  it('keeps the bytes out of step data: the stored steps are small and hold no file content', async () => {
    const rows =
      await db.sql`select octet_length(output::text) as bytes from steps where run_id = ${view.runId}`;
    for (const row of rows) expect(Number(row.bytes)).toBeLessThan(4_000);
    const [chunks] = await db.sql`
      select count(*)::int as n from file_chunks c join files f on f.id = c.file_id where f.run_id = ${view.runId}`;
    expect(chunks?.n).toBe(Math.ceil(REPORT.length / (256 * 1024)));
  });

  it('serves the file to its run’s readers as a nosniff attachment, and 404 to anyone else or another run', async () => {
    const file = (stepOf(view, 'fetch').output as { file: { id: string } }).file;
    const path = `/api/runs/${view.runId}/files/${file.id}`;
    const mine = await call(tokens.alice ?? '', 'GET', path);
    expect(mine.status).toBe(200);
    expect(sha(mine.body)).toBe(sha(REPORT));
    expect(mine.headers.get('content-disposition')).toBe(
      `attachment; filename="report.bin"; filename*=UTF-8''report.bin`,
    );
    expect(mine.headers.get('x-content-type-options')).toBe('nosniff');
    expect(mine.headers.get('content-type')).toBe('application/octet-stream');
    // Bob is a builder too, but the workflow is Alice's and private.
    expect((await call(tokens.bob ?? '', 'GET', path)).status).toBe(404);
    const other = await runAs('alice', [{ id: 'a', uses: 'core.transform', with: { value: 1 } }]);
    expect((await call(tokens.alice ?? '', 'GET', `/api/runs/${other.runId}/files/${file.id}`)).status).toBe(
      404,
    );
    expect(
      (await call(tokens.alice ?? '', 'GET', `/api/runs/${view.runId}/files/f_${'A'.repeat(32)}`)).status,
    ).toBe(404);
  });

  it('lists each step’s files with a download link in the run view the web page renders', async () => {
    const file = (stepOf(view, 'fetch').output as { file: { id: string } }).file;
    const detail = await createRuntimeWorkflowPort(db.sql).getRun(view.runId);
    const fetch = detail?.steps.find((step) => step.id === 'fetch');
    expect(fetch?.files).toEqual([
      {
        id: file.id,
        name: 'report.bin',
        contentType: 'application/octet-stream',
        size: REPORT.length,
        href: `/api/runs/${view.runId}/files/${file.id}`,
      },
    ]);
    expect(detail?.steps.find((step) => step.id === 'raw')?.files).toBeUndefined();
  });

  it('refuses a step a reference to another run’s file (E_FILE_NOT_FOUND) and sends nothing', async () => {
    const file = (stepOf(view, 'fetch').output as { file: unknown }).file;
    const before = received.length;
    const thief = await runAs('bob', [
      {
        id: 'steal',
        uses: 'http.request',
        retry: { maxAttempts: 1 },
        with: { method: 'POST', url: `${vendorUrl}/upload/raw`, body: file },
      },
    ]);
    expect(thief.status).toBe('failed');
    expect(stepOf(thief, 'steal').error).toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    expect(received.length).toBe(before);
  });
});

describe('sub-workflows', () => {
  it('let a child run read a file of the run that started it', async () => {
    const child = await call(tokens.alice ?? '', 'POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'files child uploader',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'send',
            uses: 'http.request',
            retry: { maxAttempts: 1 },
            with: { method: 'POST', url: `${vendorUrl}/upload/raw`, body: '{{ trigger.file }}' },
          },
        ],
        edges: [],
      },
      scope: 'private',
    });
    expect(child.status, child.body.toString()).toBe(201);
    const childId = String(json(child).id);
    expect((await call(tokens.alice ?? '', 'POST', `/api/workflows/${childId}/activate`, {})).status).toBe(
      200,
    );
    const before = received.length;
    const view = await runAs(
      'alice',
      [
        download('fetch', '/files/report.bin'),
        {
          id: 'child',
          uses: 'core.subworkflow',
          with: { workflow: childId, input: { file: '{{ steps.fetch.output.file }}' } },
        },
      ],
      [{ from: 'fetch', to: 'child' }],
    );
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(received.slice(before)).toMatchObject([
      { path: '/upload/raw', sha256: sha(REPORT), size: REPORT.length },
    ]);
  });
});

describe('caps, sniffing and retention', () => {
  it('fails a file over VMESH_FILE_MAX_BYTES with E_FILE_TOO_LARGE, declared or not, and keeps nothing of it', async () => {
    for (const declare of ['0', '1']) {
      const view = await runAs('alice', [
        download('big', `/files/sized?bytes=${4 * MiB}&declare=${declare}`),
      ]);
      expect(view.status).toBe('failed');
      const error = stepOf(view, 'big').error as { code: string; message: string; hint: string };
      expect(error.code).toBe('E_FILE_TOO_LARGE');
      expect(error.message).toContain(String(3 * MiB));
      expect(error.hint).toContain('VMESH_FILE_MAX_BYTES');
      const [left] = await db.sql`select count(*)::int as n from files where run_id = ${view.runId}`;
      expect(left?.n).toBe(0);
    }
  });

  it('fails the file that takes a run over VMESH_RUN_FILES_MAX_BYTES', async () => {
    const size = 2 * MiB;
    const view = await runAs(
      'alice',
      [
        download('one', `/files/sized?bytes=${size}`),
        download('two', `/files/sized?bytes=${size}`),
        download('three', `/files/sized?bytes=${size}`),
      ],
      [
        { from: 'one', to: 'two' },
        { from: 'two', to: 'three' },
      ],
    );
    expect(stepOf(view, 'two').status).toBe('succeeded');
    const error = stepOf(view, 'three').error as { code: string; hint: string };
    expect(error.code).toBe('E_FILE_TOO_LARGE');
    expect(error.hint).toContain('VMESH_RUN_FILES_MAX_BYTES');
    const [stored] = await db.sql`select count(*)::int as n from files where run_id = ${view.runId}`;
    expect(stored?.n).toBe(2);
  });

  it('records the type the bytes have, not the one the sender claimed', async () => {
    const view = await runAs('alice', [download('pic', '/files/picture')]);
    const file = (stepOf(view, 'pic').output as { file: { id: string; name: string; contentType: string } })
      .file;
    expect(file).toMatchObject({ name: 'picture.html', contentType: 'image/png' });
    const served = await call(tokens.alice ?? '', 'GET', `/api/runs/${view.runId}/files/${file.id}`);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.body.equals(PNG)).toBe(true);
  });

  it('deletes a run’s files and their chunks with the run', async () => {
    const view = await runAs('alice', [download('fetch', '/files/report.bin')]);
    const [before] = await db.sql`
      select count(*)::int as n from file_chunks c join files f on f.id = c.file_id where f.run_id = ${view.runId}`;
    expect(before?.n).toBeGreaterThan(0);
    const fileIds = (await db.sql`select id from files where run_id = ${view.runId}`).map((row) =>
      String(row.id),
    );
    await db.sql`delete from runs where id = ${view.runId}`;
    const [files] = await db.sql`select count(*)::int as n from files where id = any(${fileIds}::text[])`;
    const [chunks] =
      await db.sql`select count(*)::int as n from file_chunks where file_id = any(${fileIds}::text[])`;
    expect(files?.n).toBe(0);
    expect(chunks?.n).toBe(0);
  });
});
