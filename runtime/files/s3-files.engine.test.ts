import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { httpConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { createConfiguredFileStore, parseFilesConfig } from './index.ts';
import { type FakeS3, startFakeS3 } from './testing/fake-s3.ts';

// S3 mode end to end: the engine configured with VMESH_FILES_S3_* stores a downloaded file in the local S3 fake
// (which checks every SigV4 signature), uploads it again from there, serves it over the API, and deletes the
// object once its run is gone. A wrong secret stores nothing.

const TOKEN = 'api-token-for-tests-0123456789';
const SIZE = 7 * 1024 * 1024 + 17;
let db: TestDatabase;
let s3: FakeS3;
let engine: EngineServices;
let worker: EngineWorker;
let app: FastifyInstance;
let vendor: Server;
let vendorUrl = '';
let api = '';
const uploads: { size: number; sha256: string }[] = [];
const payload = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) payload[i] = (i * 31 + (i >> 9)) & 0xff;
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function s3Env(secret: string): NodeJS.ProcessEnv {
  return {
    VMESH_FILES_S3_BUCKET: s3.bucket,
    VMESH_FILES_S3_ENDPOINT: s3.url,
    VMESH_FILES_S3_REGION: s3.region,
    VMESH_FILES_S3_ACCESS_KEY_ID: s3.accessKeyId,
    VMESH_FILES_S3_SECRET_ACCESS_KEY: secret,
    VMESH_FILES_S3_FORCE_PATH_STYLE: 'true',
  };
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  s3 = await startFakeS3();
  vendor = createServer((request, response) => {
    if (request.url === '/export.bin') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(payload);
      return;
    }
    body(request).then((received) => {
      uploads.push({ size: received.length, sha256: sha(received) });
      response.writeHead(204);
      response.end();
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
      ...s3Env(s3.secretAccessKey),
    },
    connectors: [httpConnector],
  });
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: TOKEN, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  api = await app.listen({ host: '127.0.0.1', port: 0 });
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  vendor?.closeAllConnections();
  await new Promise((resolve) => vendor?.close(resolve));
  await s3?.close();
  await db?.drop();
});

describe('files in an S3 bucket', () => {
  it('stores, re-uploads, serves and (after the run is deleted) removes a file through the signed fake', async () => {
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 's3 files',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'fetch', uses: 'http.request', with: { url: `${vendorUrl}/export.bin`, responseType: 'file' } },
        {
          id: 'send',
          uses: 'http.request',
          with: { method: 'POST', url: `${vendorUrl}/import`, body: '{{ steps.fetch.output.file }}' },
        },
      ],
      edges: [{ from: 'fetch', to: 'send' }],
    });
    const { runId } = await startRun(db.sql, id, {});
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const fetched = view.steps.find((step) => step.id === 'fetch');
    const file = (fetched?.output as { file: { id: string; sha256: string } } | undefined)?.file;
    if (!file) throw new Error(`no file in ${JSON.stringify(view.steps)}`);
    expect(file.sha256).toBe(sha(payload));

    const key = `files/${runId}/${file.id}`;
    expect(sha(s3.objects.get(key) ?? Buffer.alloc(0))).toBe(sha(payload));
    expect(s3.requests.filter((request) => request.operation === 'UploadPart').length).toBeGreaterThanOrEqual(
      2,
    );
    expect(s3.requests.every((request) => request.status < 300)).toBe(true);
    const [chunks] = await db.sql`select count(*)::int as n from file_chunks where file_id = ${file.id}`;
    expect(chunks?.n).toBe(0);
    expect(uploads).toEqual([{ size: SIZE, sha256: sha(payload) }]);

    const served = await fetch(`${api}/api/runs/${runId}/files/${file.id}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(served.status).toBe(200);
    expect(sha(new Uint8Array(await served.arrayBuffer()))).toBe(sha(payload));

    await db.sql`delete from runs where id = ${runId}`;
    expect(s3.objects.has(key)).toBe(true);
    expect(await engine.deps.files?.sweep()).toBe(1);
    expect(s3.objects.has(key)).toBe(false);
    expect(s3.requests.at(-1)).toMatchObject({ operation: 'DeleteObject', key, status: 204 });
    const [left] = await db.sql`select count(*)::int as n from file_deletions`;
    expect(left?.n).toBe(0);
  });

  it('stores nothing when the secret is wrong: the fake refuses the signature and the file row is gone', async () => {
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'holder',
      trigger: { type: 'manual' },
      nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
      edges: [],
    });
    const { runId } = await startRun(db.sql, id, {});
    await waitForRun(db.sql, runId, { timeoutMs: 10_000 });
    const wrong = createConfiguredFileStore(
      db.sql,
      parseFilesConfig(s3Env('a-wrong-secret-0123456789abcdefghijklmn')),
    );
    const port = wrong.forStep({ runId, nodeId: 'a', parentRunId: null }, new AbortController().signal);
    const objects = s3.objects.size;
    await expect(port.write({ name: 'x.txt' }, new TextEncoder().encode('hello'))).rejects.toMatchObject({
      code: 'E_FILE_STORE',
      details: { s3Error: 'SignatureDoesNotMatch' },
    });
    expect(s3.requests.at(-1)).toMatchObject({ operation: 'PutObject', status: 403 });
    expect(s3.objects.size).toBe(objects);
    const [rows] = await db.sql`select count(*)::int as n from files where run_id = ${runId}`;
    expect(rows?.n).toBe(0);
  });
});
