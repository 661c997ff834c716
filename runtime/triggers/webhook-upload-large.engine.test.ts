import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { fileConnector } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { VERIFIED_BODY_MAX_BYTES } from './upload-spool.ts';
import { signHookBody } from './webhook-verify.ts';

// An upload larger than what is ever read into memory: the body streams to a temporary folder, the file part to
// its own file, then into the file store with the run; the folder is gone after the answer. A signature over such
// a body cannot be checked (it is not read), so the delivery is refused with what to send instead.

let db: TestDatabase;
let app: FastifyInstance;
let worker: EngineWorker;
let base = '';
const token = 'upload-large-token-0123456789';
const auth = { authorization: `Bearer ${token}` };
const SIZE = VERIFIED_BODY_MAX_BYTES + 8 * 1024 * 1024;

async function uploadFolders(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('vmesh-upload-'));
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
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
      VMESH_SECRET_KEY: Buffer.alloc(32, 6).toString('base64'),
      VMESH_UPLOAD_MAX_BYTES: String(2 * SIZE),
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

describe('large multipart webhook deliveries', () => {
  it('streams a 40 MiB upload into the store with the run, and leaves no temporary folder', async () => {
    const created = await fetch(`${base}/api/workflows`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        document: {
          schemaVersion: 1,
          name: 'large upload',
          trigger: { type: 'webhook' },
          nodes: [
            { id: 'size', uses: 'core.transform', with: { value: '{{ trigger.body.files.video.size }}' } },
          ],
          edges: [],
        },
      }),
    });
    const { id } = (await created.json()) as { id: string };
    await fetch(`${base}/api/workflows/${id}/activate`, { method: 'POST', headers: auth });
    const shown = (await (await fetch(`${base}/api/workflows/${id}`, { headers: auth })).json()) as {
      hook: { secret: string };
    };
    const bytes = randomBytes(SIZE);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const form = () => {
      const data = new FormData();
      data.append('video', new File([bytes], 'clip.bin', { type: 'application/octet-stream' }));
      return new Request('http://x/', { method: 'POST', body: data });
    };
    const before = await uploadFolders();

    const signedRequest = form();
    const signedBody = Buffer.from(await signedRequest.arrayBuffer());
    const signed = await fetch(`${base}/hooks/${id}`, {
      method: 'POST',
      headers: {
        'content-type': String(signedRequest.headers.get('content-type')),
        ...signHookBody(shown.hook.secret, signedBody),
      },
      body: signedBody,
    });
    expect(signed.status).toBe(401);
    expect(((await signed.json()) as { error: { hint: string } }).error.hint).toContain('x-vmesh-secret');

    const request = form();
    const response = await fetch(`${base}/hooks/${id}`, {
      method: 'POST',
      headers: {
        'content-type': String(request.headers.get('content-type')),
        'x-vmesh-secret': shown.hook.secret,
      },
      body: request.body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    const run = await waitForRun(db.sql, runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toBe(SIZE);
    const [file] = await db.sql`select id, sha256, size from files where run_id = ${runId}`;
    expect(file).toMatchObject({ sha256, size: String(SIZE) });
    const download = await fetch(`${base}/api/runs/${runId}/files/${String(file?.id)}`, { headers: auth });
    expect(
      createHash('sha256')
        .update(Buffer.from(await download.arrayBuffer()))
        .digest('hex'),
    ).toBe(sha256);
    await expect.poll(uploadFolders, { timeout: 5_000 }).toEqual(before);
  }, 120_000);
});
