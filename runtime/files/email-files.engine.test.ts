import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpFake, startSmtpFake } from '../../connectors/email/fake-server.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  emailConnector,
  fileConnector,
  httpConnector,
  parseSecretKey,
  postgresConnector,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { startRun } from '../engine/engine.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { type RunView, waitForRun } from '../store/run-store.ts';

// Email attachments through the real worker: email.send streams files of the run into the message (checked by
// the SMTP fake, which parses what arrives).

const SECRET_KEY = Buffer.alloc(32, 9).toString('base64');
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let smtp: SmtpFake;
let server: Server;
let base = '';
const served = new Map<string, { type: string; body: Uint8Array }>();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function serve(path: string, type: string, body: Uint8Array): string {
  served.set(path, { type, body });
  return `${base}${path}`;
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  smtp = await startSmtpFake({ user: 'bot@example.com', pass: 's3cret-pass' });
  server = createServer((request, response) => {
    const file = served.get(new URL(request.url ?? '/', 'http://x').pathname);
    response.writeHead(file ? 200 : 404, file ? { 'content-type': file.type } : {});
    response.end(file?.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const connectors = [emailConnector, httpConnector, fileConnector, postgresConnector];
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: SECRET_KEY, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' }, connectors },
  );
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(SECRET_KEY),
    types: credentialTypesOf(connectors),
  });
  await credentials.set('smtp', 'smtp', {
    host: '127.0.0.1',
    port: smtp.port,
    secure: false,
    user: 'bot@example.com',
    pass: 's3cret-pass',
    from: 'Bot <bot@example.com>',
  });
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await smtp?.close();
  await db?.drop();
});

async function runManual(name: string, nodes: unknown[]): Promise<RunView> {
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

const stepOf = (view: RunView, id: string) => {
  const found = view.steps.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no step ${id}: ${JSON.stringify(view.steps)}`);
  return found as { status: string; output: unknown; error: unknown };
};

const download = (id: string, url: string) => ({
  id,
  uses: 'http.request',
  retry: { maxAttempts: 1 },
  with: { url, responseType: 'file' },
});

describe('email.send with attachments', () => {
  it('streams two files of the run into the message; they arrive intact (sha256), one renamed', async () => {
    const report = new Uint8Array(300_000).map((_, index) => (index * 7919) % 256);
    const notes = new Uint8Array(Buffer.from('line one\nline two\n'));
    const view = await runManual('send attachments', [
      download('report', serve('/report.bin', 'application/octet-stream', report)),
      download('notes', serve('/notes.txt', 'text/plain', notes)),
      {
        id: 'mail',
        uses: 'email.send',
        credential: 'smtp',
        retry: { maxAttempts: 1 },
        with: {
          to: 'ana@example.com',
          subject: 'Files attached',
          text: 'See attached.',
          attachments: [
            { file: '{{ steps.report.output.file }}' },
            { file: '{{ steps.notes.output.file }}', name: 'meeting-notes.txt' },
          ],
        },
      },
    ]);
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const mail = smtp.received.at(-1);
    expect(mail?.parsed.subject).toBe('Files attached');
    const attachments = mail?.parsed.attachments ?? [];
    expect(attachments.map((attachment) => attachment.filename)).toEqual(['report.bin', 'meeting-notes.txt']);
    expect(attachments.map((attachment) => sha256(attachment.content))).toEqual([
      sha256(report),
      sha256(notes),
    ]);
    expect(attachments[1]?.contentType).toBe('text/plain');
  });

  it('refuses a file of another run (E_FILE_NOT_FOUND) and attachments over 25 MiB (E_ATTACHMENTS_TOO_LARGE), sending nothing', async () => {
    const sentBefore = smtp.received.length;
    const foreign = {
      id: 'f_notAFileOfThisRun000000000000',
      name: 'x.bin',
      contentType: 'application/octet-stream',
      size: 1,
      sha256: sha256(new Uint8Array(1)),
    };
    const notFound = await runManual('foreign attachment', [
      {
        id: 'mail',
        uses: 'email.send',
        credential: 'smtp',
        retry: { maxAttempts: 1 },
        with: { to: 'ana@example.com', subject: 'x', text: 'x', attachments: [{ file: foreign }] },
      },
    ]);
    expect(notFound.status).toBe('failed');
    expect(stepOf(notFound, 'mail').error).toMatchObject({ code: 'E_FILE_NOT_FOUND' });

    const big = new Uint8Array(13 * 1024 * 1024);
    const tooLarge = await runManual('too large', [
      download('big', serve('/big.bin', 'application/octet-stream', big)),
      {
        id: 'mail',
        uses: 'email.send',
        credential: 'smtp',
        retry: { maxAttempts: 1 },
        with: {
          to: 'ana@example.com',
          subject: 'x',
          text: 'x',
          attachments: [
            { file: '{{ steps.big.output.file }}' },
            { file: '{{ steps.big.output.file }}', name: 'copy.bin' },
          ],
        },
      },
    ]);
    expect(tooLarge.status).toBe('failed');
    expect(stepOf(tooLarge, 'mail').error).toMatchObject({
      code: 'E_ATTACHMENTS_TOO_LARGE',
      message: expect.stringContaining('25 MiB'),
    });
    expect(smtp.received.length).toBe(sentBefore);
  });
});
