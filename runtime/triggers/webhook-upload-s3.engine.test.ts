import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { type FakeS3, startFakeS3 } from '../files/testing/fake-s3.ts';
import { createEngineServices } from '../services.ts';
import { signHookBody } from './webhook-verify.ts';

// A multipart delivery with the file store in S3 (the local SigV4-checking fake): the upload becomes an object
// under the run's key and downloads back unchanged; with a bucket that refuses the write, the delivery fails and
// no file row, no run and no object is left.

const TOKEN = 'upload-s3-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let db: TestDatabase;
let s3: FakeS3;
const servers: FastifyInstance[] = [];

async function startServer(secret: string): Promise<string> {
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  const engine = await createEngineServices(database, {
    env: {
      VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
      VMESH_FILES_S3_BUCKET: s3.bucket,
      VMESH_FILES_S3_ENDPOINT: s3.url,
      VMESH_FILES_S3_REGION: s3.region,
      VMESH_FILES_S3_ACCESS_KEY_ID: s3.accessKeyId,
      VMESH_FILES_S3_SECRET_ACCESS_KEY: secret,
      VMESH_FILES_S3_FORCE_PATH_STYLE: 'true',
    },
    connectors: [],
  });
  const app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: TOKEN, publicUrl: 'http://127.0.0.1' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1' });
  servers.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

async function createHook(base: string): Promise<{ id: string; secret: string }> {
  const document = {
    schemaVersion: 1,
    name: `s3 upload ${Math.random()}`,
    trigger: { type: 'webhook' },
    nodes: [{ id: 'echo', uses: 'core.transform', with: { value: '{{ trigger.body.files.doc.name }}' } }],
    edges: [],
  };
  const created = await fetch(`${base}/api/workflows`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ document }),
  });
  const { id } = (await created.json()) as { id: string };
  await fetch(`${base}/api/workflows/${id}/activate`, { method: 'POST', headers: auth });
  const shown = await fetch(`${base}/api/workflows/${id}`, { headers: auth });
  return { id, secret: ((await shown.json()) as { hook: { secret: string } }).hook.secret };
}

async function deliver(base: string, hook: { id: string; secret: string }, bytes: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('doc', new File([new Uint8Array(bytes)], 'doc.bin', { type: 'application/octet-stream' }));
  const request = new Request('http://x/', { method: 'POST', body: form });
  const body = new Uint8Array(await request.arrayBuffer());
  return fetch(`${base}/hooks/${hook.id}`, {
    method: 'POST',
    headers: {
      'content-type': String(request.headers.get('content-type')),
      ...signHookBody(hook.secret, Buffer.from(body)),
    },
    body,
  });
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  s3 = await startFakeS3();
}, 60_000);
afterAll(async () => {
  for (const server of servers) await server.close();
  await s3?.close();
  await db?.drop();
});

describe('multipart uploads with the file store in S3', () => {
  it('stores the upload as an object of the run and serves it back', async () => {
    const base = await startServer(s3.secretAccessKey);
    const hook = await createHook(base);
    const bytes = Buffer.alloc(300 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    const response = await deliver(base, hook, bytes);
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    const [row] = await db.sql`select id, storage, storage_key, sha256 from files where run_id = ${runId}`;
    expect(row?.storage).toBe('s3');
    expect(s3.objects.get(String(row?.storageKey))?.length).toBe(bytes.length);
    const download = await fetch(`${base}/api/runs/${runId}/files/${row?.id}`, { headers: auth });
    const back = Buffer.from(await download.arrayBuffer());
    expect(createHash('sha256').update(back).digest('hex')).toBe(row?.sha256);
  });

  it('leaves no run, row or object when the bucket refuses the write', async () => {
    const base = await startServer('a-wrong-secret-0123456789abcdefghijklmn');
    const hook = await createHook(base);
    const objects = s3.objects.size;
    const response = await deliver(base, hook, Buffer.from('hello'));
    expect(response.status).toBeGreaterThanOrEqual(500);
    const [runs] = await db.sql`select count(*)::int as n from runs where workflow_id = ${hook.id}`;
    expect(runs?.n).toBe(0);
    const [files] =
      await db.sql`select count(*)::int as n from files f join runs r on r.id = f.run_id where r.workflow_id = ${hook.id}`;
    expect(files?.n).toBe(0);
    expect(s3.objects.size).toBe(objects);
  });
});
