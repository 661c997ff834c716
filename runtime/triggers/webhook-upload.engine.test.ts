import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { fileConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { MULTIPART_LIMITS } from './multipart-body.ts';
import { signHookBody } from './webhook-verify.ts';

// Multipart deliveries to POST /hooks through the real HTTP server (listening on a port, real fetch and FormData)
// and the worker: files become FileRefs in trigger.body.files, stored with the run they start; refused deliveries
// leave no file rows and no chunks.

let db: TestDatabase;
let app: FastifyInstance;
let worker: EngineWorker;
let base = '';
const token = 'upload-test-token-0123456789';
const auth = { authorization: `Bearer ${token}` };
const MAX_FILE = 64 * 1024;

const csvWorkflow = (trigger: unknown) => ({
  schemaVersion: 1,
  name: `csv upload ${Math.random()}`,
  trigger,
  nodes: [
    {
      id: 'read',
      uses: 'file.extract',
      with: { file: '{{ trigger.body.files.orders }}', format: 'csv' },
    },
    {
      id: 'shape',
      uses: 'core.transform',
      with: { value: { rows: '{{ steps.read.output.rows }}', note: '{{ trigger.body.fields.note }}' } },
    },
  ],
  edges: [{ from: 'read', to: 'shape' }],
});

async function createHook(document: unknown): Promise<{ id: string; secret: string }> {
  const created = await fetch(`${base}/api/workflows`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ document }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const activated = await fetch(`${base}/api/workflows/${id}/activate`, { method: 'POST', headers: auth });
  expect(activated.status).toBe(200);
  const shown = await fetch(`${base}/api/workflows/${id}`, { headers: auth });
  return { id, secret: ((await shown.json()) as { hook: { secret: string } }).hook.secret };
}

/** A multipart body as a browser or curl sends it, with its content type (boundary). */
async function encode(form: FormData): Promise<{ body: Uint8Array<ArrayBuffer>; contentType: string }> {
  const request = new Request('http://x/', { method: 'POST', body: form });
  return {
    body: new Uint8Array(await request.arrayBuffer()),
    contentType: String(request.headers.get('content-type')),
  };
}

async function fileRows(): Promise<{ files: number; chunks: number }> {
  const [row] = await db.sql`
    select (select count(*)::int from files) as files, (select count(*)::int from file_chunks) as chunks`;
  return { files: Number(row?.files), chunks: Number(row?.chunks) };
}

async function runsOf(workflowId: string): Promise<number> {
  const [row] = await db.sql`select count(*)::int as n from runs where workflow_id = ${workflowId}`;
  return Number(row?.n);
}

const CSV = 'sku,qty\nA-1,3\nB-2,5\n';

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://127.0.0.1' },
  });
  const engine = await createEngineServices(database, {
    env: {
      VMESH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
      VMESH_FILE_MAX_BYTES: String(MAX_FILE),
      VMESH_UPLOAD_MAX_BYTES: String(4 * MAX_FILE),
    },
    connectors: [fileConnector],
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  worker = await engine.startWorker({ concurrency: 2 });
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await db?.drop();
});

describe('multipart webhook deliveries', () => {
  it('stores an uploaded CSV with the run: file.extract reads its rows and the download has its sha256', async () => {
    const { id, secret } = await createHook(csvWorkflow({ type: 'webhook' }));
    const form = new FormData();
    form.append('note', 'weekly');
    form.append('orders', new File([CSV], 'orders.csv', { type: 'text/csv' }));
    const { body, contentType } = await encode(form);
    const response = await fetch(`${base}/hooks/${id}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...signHookBody(secret, Buffer.from(body)) },
      body,
    });
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    const run = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({
      rows: [
        { sku: 'A-1', qty: '3' },
        { sku: 'B-2', qty: '5' },
      ],
      note: 'weekly',
    });
    const [stored] = await db.sql`select trigger from runs where id = ${runId}`;
    const trigger = stored?.trigger as {
      body: { fields: Record<string, unknown>; files: Record<string, { id: string; sha256: string }> };
    };
    expect(trigger.body.fields).toEqual({ note: 'weekly' });
    const ref = trigger.body.files.orders;
    expect(ref).toMatchObject({
      name: 'orders.csv',
      contentType: 'text/csv',
      size: CSV.length,
      sha256: createHash('sha256').update(CSV).digest('hex'),
    });
    const download = await fetch(`${base}/api/runs/${runId}/files/${ref?.id}`, { headers: auth });
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(ref?.sha256);
  });

  it('answers a file over VMESH_FILE_MAX_BYTES and a request over VMESH_UPLOAD_MAX_BYTES 413 E_FILE_TOO_LARGE, storing nothing', async () => {
    const { id, secret: hookSecret } = await createHook(
      csvWorkflow({ type: 'webhook', with: { verify: 'token' } }),
    );
    const before = await fileRows();
    const big = new FormData();
    big.append('orders', new File([Buffer.alloc(MAX_FILE + 1, 0x61)], 'big.csv', { type: 'text/csv' }));
    const tooBig = await encode(big);
    const post = (payload: { body: Uint8Array<ArrayBuffer>; contentType: string }) =>
      fetch(`${base}/hooks/${id}/${hookSecret}`, {
        method: 'POST',
        headers: { 'content-type': payload.contentType },
        body: payload.body,
      });
    const file = await post(tooBig);
    expect(file.status).toBe(413);
    const fileError = ((await file.json()) as { error: { code: string; hint: string } }).error;
    expect(fileError.code).toBe('E_FILE_TOO_LARGE');
    expect(fileError.hint).toContain('VMESH_FILE_MAX_BYTES');

    const many = new FormData();
    for (let index = 0; index < 5; index++)
      many.append(`part${index}`, new File([Buffer.alloc(MAX_FILE - 10, 0x62)], `p${index}.csv`));
    const request = await post(await encode(many));
    expect(request.status).toBe(413);
    const requestError = ((await request.json()) as { error: { code: string; hint: string } }).error;
    expect(requestError.code).toBe('E_FILE_TOO_LARGE');
    expect(requestError.hint).toContain('VMESH_UPLOAD_MAX_BYTES');

    expect(await fileRows()).toEqual(before);
    expect(await runsOf(id)).toBe(0);
  });

  it('refuses a multipart delivery with a bad signature (401) and one of too many parts (413) with no rows left', async () => {
    const { id, secret } = await createHook(csvWorkflow({ type: 'webhook' }));
    const before = await fileRows();
    const form = new FormData();
    form.append('orders', new File([CSV], 'orders.csv', { type: 'text/csv' }));
    const { body, contentType } = await encode(form);
    const forged = await fetch(`${base}/hooks/${id}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...signHookBody('not-the-secret', Buffer.from(body)) },
      body,
    });
    expect(forged.status).toBe(401);

    const parts = new FormData();
    for (let index = 0; index <= MULTIPART_LIMITS.parts; index++) parts.append(`f${index}`, 'x');
    parts.append('orders', new File([CSV], 'orders.csv'));
    const crowded = await encode(parts);
    const refused = await fetch(`${base}/hooks/${id}`, {
      method: 'POST',
      headers: { 'content-type': crowded.contentType, ...signHookBody(secret, Buffer.from(crowded.body)) },
      body: crowded.body,
    });
    expect(refused.status).toBe(413);
    const error = ((await refused.json()) as { error: { code: string; details: { limit: string } } }).error;
    expect(error).toMatchObject({ code: 'E_FILE_TOO_LARGE', details: { limit: 'parts' } });

    expect(await fileRows()).toEqual(before);
    expect(await runsOf(id)).toBe(0);
  });

  it('stores nothing for a duplicate delivery: the same delivery id returns the first run', async () => {
    const { id, secret } = await createHook(csvWorkflow({ type: 'webhook' }));
    const form = new FormData();
    form.append('orders', new File([CSV], 'orders.csv', { type: 'text/csv' }));
    const { body, contentType } = await encode(form);
    const send = () =>
      fetch(`${base}/hooks/${id}`, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'x-vmesh-delivery': 'upload-1',
          ...signHookBody(secret, Buffer.from(body)),
        },
        body,
      });
    const first = (await (await send()).json()) as { runId: string };
    const before = await fileRows();
    const again = await send();
    expect(again.status).toBe(202);
    expect(((await again.json()) as { runId: string }).runId).toBe(first.runId);
    expect(await fileRows()).toEqual(before);
    expect(await runsOf(id)).toBe(1);
  });

  it('keeps a JSON delivery as before: trigger.body is the parsed JSON', async () => {
    const { id, secret } = await createHook({
      schemaVersion: 1,
      name: 'json hook',
      trigger: { type: 'webhook' },
      nodes: [{ id: 'echo', uses: 'core.transform', with: { value: '{{ trigger.body }}' } }],
      edges: [],
    });
    const body = '{"n":1}';
    const response = await fetch(`${base}/hooks/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signHookBody(secret, Buffer.from(body)) },
      body,
    });
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    expect((await waitForRun(db.sql, runId, { timeoutMs: 30_000 })).output).toEqual({ n: 1 });
  });
});
