import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpFake, startSmtpFake } from '../../connectors/email/fake-server.ts';
import { type Dovecot, dovecotSkipReason, startDovecot } from '../../connectors/email/testing/dovecot.ts';
import { minimalPdf } from '../../connectors/file/testing/minimal-pdf.ts';
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
import { createConfiguredFileStore, parseFilesConfig } from './index.ts';

// Email attachments through the real worker: email.send streams files of the run into the message (checked by
// the SMTP fake, which parses what arrives); email.received stores the attachments of new mail in a real IMAP
// server (dovecot) as files of the run it starts, which later steps read.

const skip = dovecotSkipReason();
if (skip) console.warn(`SKIPPED email.received attachment tests: ${skip}`);

const SECRET_KEY = Buffer.alloc(32, 9).toString('base64');
/** The server's per-file cap in this file: below an attachment the trigger would otherwise take. */
const FILE_MAX_BYTES = 14 * 1024 * 1024;
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let smtp: SmtpFake;
let server: Server;
let dovecot: Dovecot;
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
    {
      env: {
        VMESH_SECRET_KEY: SECRET_KEY,
        VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
        VMESH_FILE_MAX_BYTES: String(FILE_MAX_BYTES),
      },
      connectors,
    },
  );
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(SECRET_KEY),
    types: credentialTypesOf(connectors),
  });
  await credentials.set('ledger', 'postgres', { url: db.url });
  if (!skip) {
    dovecot = await startDovecot();
    await credentials.set('inbox', 'imap', dovecot.credential());
  }
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
  await dovecot?.close();
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

/** A real MIME message with these attachments, as nodemailer writes it (CRLF line ends). */
async function mimeMessage(options: {
  subject: string;
  messageId: string;
  attachments: { filename: string; contentType: string; content: Buffer }[];
}): Promise<string> {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = await composer.sendMail({
    from: 'Billing <billing@acme.example>',
    to: 'Ana <ana@example.com>',
    subject: options.subject,
    messageId: options.messageId,
    text: 'Please find the invoice attached.',
    attachments: options.attachments,
  });
  return (info.message as Buffer).toString('latin1');
}

type RunRow = { id: string; trigger: unknown };
const runsOf = async (workflowId: string): Promise<RunRow[]> =>
  (await db.sql`select id, trigger from runs where workflow_id = ${workflowId} order by created_at`).map(
    (row) => ({ id: String(row.id), trigger: row.trigger }),
  );
const stagedFiles = async () =>
  Number((await db.sql`select count(*)::int as n from files where run_id is null`)[0]?.n);

/** Activates the workflow and waits for its first poll (which only records what is there) to end. */
async function activateOn(mailbox: string, document: Record<string, unknown>): Promise<string> {
  await dovecot.withClient(async (client) => {
    await client.mailboxCreate(mailbox);
  });
  const before = dovecot.sessionsEnded();
  const { id } = await engine.workflows.create(
    { schemaVersion: 1, name: `${mailbox} ${Math.random()}`, ...document },
    {},
    { activate: true },
  );
  await expect.poll(() => dovecot.sessionsEnded(), { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 1);
  return id;
}

describe.skipIf(Boolean(skip))('email.received attachments through the worker (dovecot)', () => {
  it('PDF invoice by email: the attachment is a file of the run; file.extract reads it; the total lands in a table', async () => {
    await db.sql`create table invoices (message_id text primary key, sender text not null, total numeric not null)`;
    const id = await activateOn('Invoices', {
      trigger: {
        type: 'email.received',
        credential: 'inbox',
        with: { mailbox: 'Invoices', intervalSeconds: 1, subjectContains: 'Invoice' },
      },
      nodes: [
        {
          id: 'read',
          uses: 'file.extract',
          with: { file: '{{ trigger.attachments[0].file }}', format: 'pdf' },
        },
        {
          id: 'total',
          uses: 'core.transform',
          with: { value: '{{ $match(steps.read.output.text, /Total:\\s*([0-9.]+)/).groups[0] }}' },
        },
        {
          id: 'insert',
          uses: 'postgres.query',
          credential: 'ledger',
          with: {
            sql: 'insert into invoices (message_id, sender, total) values ($1, $2, $3::numeric)',
            params: ['{{ trigger.messageId }}', '{{ trigger.from[0].address }}', '{{ steps.total.output }}'],
            write: true,
          },
        },
        {
          id: 'forward',
          uses: 'email.send',
          credential: 'smtp',
          retry: { maxAttempts: 1 },
          with: {
            to: 'accounting@example.com',
            subject: 'Fwd: {{ trigger.subject }}',
            text: 'Forwarded.',
            attachments: "{{ [trigger.attachments[file].{ 'file': file }] }}",
          },
        },
      ],
      edges: [
        { from: 'read', to: 'total' },
        { from: 'total', to: 'insert' },
      ],
    });
    const pdf = Buffer.from(
      minimalPdf([
        ['ACME GmbH', 'Invoice INV-2031-07', 'Total: 1234.50 EUR'],
        ['Thank you for your business'],
      ]),
    );
    await dovecot.append(
      await mimeMessage({
        subject: 'Invoice INV-2031-07',
        messageId: '<inv-2031-07@acme.example>',
        attachments: [{ filename: 'INV-2031-07.pdf', contentType: 'application/pdf', content: pdf }],
      }),
      { mailbox: 'Invoices' },
    );
    await expect.poll(async () => (await runsOf(id)).length, { timeout: 20_000 }).toBe(1);
    const [run] = await runsOf(id);
    const view = await waitForRun(db.sql, run?.id ?? '', { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(run?.trigger).toMatchObject({
      subject: 'Invoice INV-2031-07',
      attachments: [
        {
          filename: 'INV-2031-07.pdf',
          contentType: 'application/pdf',
          file: {
            name: 'INV-2031-07.pdf',
            contentType: 'application/pdf',
            size: pdf.byteLength,
            sha256: sha256(pdf),
          },
          skipped: null,
        },
      ],
    });
    expect(stepOf(view, 'read').output).toEqual({ text: expect.stringContaining('Total: 1234.50 EUR') });
    expect(stepOf(view, 'total').output).toBe('1234.50');
    expect(await db.sql`select message_id, sender, total::text from invoices`).toEqual([
      { messageId: '<inv-2031-07@acme.example>', sender: 'billing@acme.example', total: '1234.50' },
    ]);
    // Both directions: the stored attachment, forwarded by email.send, arrives byte for byte.
    const forwarded = smtp.received.find((mail) => mail.parsed.subject === 'Fwd: Invoice INV-2031-07');
    expect(
      forwarded?.parsed.attachments.map((attachment) => [attachment.filename, sha256(attachment.content)]),
    ).toEqual([['INV-2031-07.pdf', sha256(pdf)]]);
    // The file belongs to the run (and goes with it); nothing is left staged.
    const [file] = await db.sql`select run_id, staged_for from files where sha256 = ${sha256(pdf)}`;
    expect(file).toEqual({ runId: run?.id, stagedFor: null });
    expect(await stagedFiles()).toBe(0);
    await engine.workflows.deactivate(id);
  });

  it('caps: an attachment over maxAttachmentBytes and one past maxAttachments are listed as skipped, with why', async () => {
    const id = await activateOn('Capped', {
      trigger: {
        type: 'email.received',
        credential: 'inbox',
        with: { mailbox: 'Capped', intervalSeconds: 1, maxAttachments: 2, maxAttachmentBytes: 10_000 },
      },
      nodes: [
        { id: 'names', uses: 'core.transform', with: { value: '{{ trigger.attachments.file.name }}' } },
      ],
      edges: [],
    });
    const small = Buffer.from('a,b\n1,2\n');
    await dovecot.append(
      await mimeMessage({
        subject: 'three files',
        messageId: '<caps@acme.example>',
        attachments: [
          { filename: 'small.csv', contentType: 'text/csv', content: small },
          { filename: 'big.bin', contentType: 'application/octet-stream', content: Buffer.alloc(20_000, 1) },
          { filename: 'third.txt', contentType: 'text/plain', content: Buffer.from('third') },
        ],
      }),
      { mailbox: 'Capped' },
    );
    await expect.poll(async () => (await runsOf(id)).length, { timeout: 20_000 }).toBe(1);
    const [run] = await runsOf(id);
    expect(run?.trigger).toMatchObject({
      attachments: [
        { filename: 'small.csv', file: { name: 'small.csv', sha256: sha256(small) }, skipped: null },
        {
          filename: 'big.bin',
          file: null,
          skipped: {
            code: 'E_ATTACHMENT_TOO_LARGE',
            reason: expect.stringContaining('maxAttachmentBytes (10000'),
          },
        },
        {
          filename: 'third.txt',
          file: null,
          skipped: { code: 'E_ATTACHMENT_COUNT', reason: expect.stringContaining('first 2 attachments') },
        },
      ],
    });
    const view = await waitForRun(db.sql, run?.id ?? '', { timeoutMs: 30_000 });
    expect(stepOf(view, 'names').output).toBe('small.csv');
    expect(await stagedFiles()).toBe(0);
    await engine.workflows.deactivate(id);
  });

  it('an attachment over the server file cap is cut off while it downloads, skipped with the cap; the next one is stored', async () => {
    const id = await activateOn('ServerCap', {
      trigger: {
        type: 'email.received',
        credential: 'inbox',
        with: { mailbox: 'ServerCap', intervalSeconds: 1, maxAttachmentBytes: 100 * 1024 * 1024 },
      },
      nodes: [{ id: 'noop', uses: 'core.transform', with: { value: '{{ trigger.subject }}' } }],
      edges: [],
    });
    const after = Buffer.from('still here');
    await dovecot.append(
      await mimeMessage({
        subject: 'huge scan',
        messageId: '<huge@acme.example>',
        attachments: [
          {
            filename: 'scan.tiff',
            contentType: 'image/tiff',
            content: Buffer.alloc(FILE_MAX_BYTES + 512 * 1024, 3),
          },
          { filename: 'after.txt', contentType: 'text/plain', content: after },
        ],
      }),
      { mailbox: 'ServerCap' },
    );
    await expect.poll(async () => (await runsOf(id)).length, { timeout: 30_000 }).toBe(1);
    expect((await runsOf(id))[0]?.trigger).toMatchObject({
      attachments: [
        {
          filename: 'scan.tiff',
          file: null,
          skipped: {
            code: 'E_ATTACHMENT_TOO_LARGE',
            reason: expect.stringContaining('VMESH_FILE_MAX_BYTES'),
          },
        },
        { filename: 'after.txt', file: { sha256: sha256(after) }, skipped: null },
      ],
    });
    expect(Number((await db.sql`select count(*)::int as n from files where name = 'scan.tiff'`)[0]?.n)).toBe(
      0,
    );
    expect(await stagedFiles()).toBe(0);
    await engine.workflows.deactivate(id);
  });

  it('attachments: false lists them without storing; a deduplicated message leaves no staged file behind', async () => {
    const listed = await activateOn('ListOnly', {
      trigger: {
        type: 'email.received',
        credential: 'inbox',
        with: { mailbox: 'ListOnly', intervalSeconds: 1, attachments: false },
      },
      nodes: [{ id: 'noop', uses: 'core.transform', with: { value: '{{ trigger.subject }}' } }],
      edges: [],
    });
    const filesBefore = Number((await db.sql`select count(*)::int as n from files`)[0]?.n);
    await dovecot.append(
      await mimeMessage({
        subject: 'list only',
        messageId: '<list@acme.example>',
        attachments: [
          { filename: 'a.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4') },
        ],
      }),
      { mailbox: 'ListOnly' },
    );
    await expect.poll(async () => (await runsOf(listed)).length, { timeout: 20_000 }).toBe(1);
    expect((await runsOf(listed))[0]?.trigger).toMatchObject({
      attachments: [{ filename: 'a.pdf', file: null, skipped: { code: 'E_ATTACHMENTS_OFF' } }],
    });
    expect(Number((await db.sql`select count(*)::int as n from files`)[0]?.n)).toBe(filesBefore);
    await engine.workflows.deactivate(listed);

    // The run of the next message is already claimed under its dedupe key (`poll:<uidvalidity>:<uid>`): the poll
    // downloads its attachment, starts no run, and deletes the file it staged.
    const deduped = await activateOn('Deduped', {
      trigger: {
        type: 'email.received',
        credential: 'inbox',
        with: { mailbox: 'Deduped', intervalSeconds: 1 },
      },
      nodes: [{ id: 'noop', uses: 'core.transform', with: { value: '{{ trigger.subject }}' } }],
      edges: [],
    });
    const status = await dovecot.withClient(async (client) => {
      const found = await client.status('Deduped', { uidNext: true, uidValidity: true });
      if (!found) throw new Error('no status for Deduped');
      return found;
    });
    const [earlier] = await db.sql`
      insert into runs (id, workflow_id, version, status, trigger_type, trigger)
      values ('run_earlier_delivery', ${deduped}, 1, 'succeeded', 'email.received', '{}'::jsonb) returning id`;
    await db.sql`
      insert into run_dedupe (workflow_id, dedupe_key, run_id)
      values (${deduped}, ${`poll:${status.uidValidity}:${status.uidNext}`}, ${String(earlier?.id)})`;
    const sessions = dovecot.sessionsEnded();
    await dovecot.append(
      await mimeMessage({
        subject: 'seen before',
        messageId: '<dup@acme.example>',
        attachments: [
          { filename: 'dup.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 dup') },
        ],
      }),
      { mailbox: 'Deduped' },
    );
    await expect
      .poll(() => dovecot.sessionsEnded(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(sessions + 2);
    expect((await runsOf(deduped)).map((row) => row.id)).toEqual(['run_earlier_delivery']);
    expect(await stagedFiles()).toBe(0);
    expect(Number((await db.sql`select count(*)::int as n from files where name = 'dup.pdf'`)[0]?.n)).toBe(0);
    await engine.workflows.deactivate(deduped);
  });
});

describe('files a poll stages', () => {
  it('are deleted by the files sweep once they have waited for a run for over an hour (a crashed poll)', async () => {
    const { id: workflowId } = await engine.workflows.create({
      schemaVersion: 1,
      name: `staging ${Math.random()}`,
      trigger: { type: 'manual' },
      nodes: [{ id: 'noop', uses: 'core.transform', with: { value: 1 } }],
      edges: [],
    });
    const store = createConfiguredFileStore(db.sql, parseFilesConfig({}));
    const staged = store.forTrigger(workflowId, AbortSignal.timeout(10_000));
    const old = await staged.port.write({ name: 'old.txt' }, new Uint8Array(Buffer.from('old')));
    const fresh = await staged.port.write({ name: 'fresh.txt' }, new Uint8Array(Buffer.from('fresh')));
    await expect(staged.port.read(old)).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    await db.sql`update files set created_at = now() - interval '2 hours' where id = ${old.id}`;
    await store.sweep();
    const left = await db.sql`select id, staged_for from files where id = any(${[old.id, fresh.id]}::text[])`;
    expect(left).toEqual([{ id: fresh.id, stagedFor: workflowId }]);
    await staged.discard();
    expect(await db.sql`select id from files where id = ${fresh.id}`).toEqual([]);
  });
});
