import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { googleError } from '../google/fake-auth.ts';
import { memoryTokenSource } from '../google/testing-tokens.ts';
import { clearTokenCache } from '../sdk/auth/index.ts';
import type { ConnectorEnvironment, PollTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles, type MemoryFiles } from '../testing/memory-files.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { DRIVE_SCOPE, FOLDER_MIME_TYPE } from './client.ts';
import { googleDriveConnector } from './connector.ts';
import { type DriveFake, GOOGLE_DOC, startDriveFake } from './fake-server.ts';

let fake: DriveFake;
let env: ConnectorEnvironment;
let files: MemoryFiles;

beforeAll(async () => {
  fake = await startDriveFake();
  env = createTestEnvironment({ googledrive: fake.url, 'google-oauth': fake.oauthUrl });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  clearTokenCache();
  files = createMemoryFiles();
});

const robot = () => fake.auth.serviceAccount([DRIVE_SCOPE]);
const run = (key: string, input: unknown) =>
  runAction(googleDriveConnector, key, input, {
    env,
    credential: robot(),
    credentialType: 'google-service-account',
    files,
  });
const runError = (key: string, input: unknown) =>
  runActionError(googleDriveConnector, key, input, {
    env,
    credential: robot(),
    credentialType: 'google-service-account',
    files,
  });
const last = (fragment: string) => fake.requests.filter((request) => request.path.includes(fragment)).at(-1);

describe('googledrive actions against the Drive API v3 fake', () => {
  it('creates a folder, uploads a run file into it as multipart/related, and downloads it back', async () => {
    const folder = (await run('createFolder', { name: 'Acme — contracts' })) as {
      id: string;
      mimeType: string;
    };
    expect(folder.mimeType).toBe(FOLDER_MIME_TYPE);
    expect(last('/drive/v3/files')?.body).toEqual({ name: 'Acme — contracts', mimeType: FOLDER_MIME_TYPE });

    const ref = files.add('contract.pdf', Buffer.from('%PDF-1.7 the contract'), 'application/pdf');
    const uploaded = (await run('uploadFile', {
      file: ref,
      folderId: folder.id,
      name: 'Acme contract.pdf',
    })) as {
      id: string;
      name: string;
      size: number;
      folderIds: string[];
    };
    expect(uploaded).toMatchObject({
      name: 'Acme contract.pdf',
      size: 21,
      folderIds: [folder.id],
      mimeType: 'application/pdf',
    });
    const upload = last('/upload/drive/v3/files');
    expect(upload?.query).toMatchObject({ uploadType: 'multipart', supportsAllDrives: 'true' });
    expect(String(upload?.headers['content-type'])).toMatch(/^multipart\/related; boundary=/);
    expect(String(upload?.body)).toContain('{"name":"Acme contract.pdf","parents":["');
    expect(String(upload?.body)).toContain('Content-Type: application/pdf\r\n\r\n%PDF-1.7 the contract\r\n');
    expect(upload?.headers.authorization).toMatch(/^Bearer ya29\./);

    const downloaded = (await run('downloadFile', { fileId: uploaded.id })) as {
      file: { name: string; contentType: string };
      driveFile: { id: string };
    };
    expect(downloaded.file).toMatchObject({ name: 'Acme contract.pdf', contentType: 'application/pdf' });
    expect(files.bytes(downloaded.file as never)?.toString()).toBe('%PDF-1.7 the contract');
    expect(last(`/drive/v3/files/${uploaded.id}`)?.query).toMatchObject({ alt: 'media' });
  });

  it('uploads a file over 5 MiB through a resumable session: metadata first, then the bytes to the session URI', async () => {
    const bytes = Buffer.alloc(6 * 1024 * 1024, 7);
    const ref = files.add('backup.bin', bytes, 'application/octet-stream');
    const before = fake.requests.length;
    const uploaded = (await run('uploadFile', { file: ref, description: 'nightly' })) as {
      id: string;
      size: number;
    };
    expect(uploaded.size).toBe(bytes.length);
    const [open, put] = fake.requests
      .slice(before)
      .filter((request) => request.path === '/upload/drive/v3/files');
    expect(open?.method).toBe('POST');
    expect(open?.query).toMatchObject({ uploadType: 'resumable' });
    expect(open?.headers['x-upload-content-length']).toBe(String(bytes.length));
    expect(open?.body).toEqual({ name: 'backup.bin', description: 'nightly' });
    expect(put?.method).toBe('PUT');
    expect(put?.query).toMatchObject({ uploadType: 'resumable', upload_id: expect.any(String) });
    expect(put?.headers.authorization).toMatch(/^Bearer ya29\./);
    expect(
      fake
        .files()
        .find((file) => file.id === uploaded.id)
        ?.content.equals(bytes),
    ).toBe(true);
  });

  it('exports a Google Doc (PDF by default, text on request) and refuses a folder', async () => {
    const doc = fake.add({ name: 'Minutes', mimeType: GOOGLE_DOC, content: Buffer.from('We met.') });
    const pdf = (await run('downloadFile', { fileId: doc.id })) as {
      file: { name: string; contentType: string };
    };
    expect(pdf.file).toMatchObject({ name: 'Minutes.pdf', contentType: 'application/pdf' });
    expect(last(`/drive/v3/files/${doc.id}/export`)?.query).toEqual({ mimeType: 'application/pdf' });
    const text = (await run('downloadFile', { fileId: doc.id, exportMimeType: 'text/plain' })) as {
      file: never;
    };
    expect(files.bytes(text.file)?.toString()).toBe('We met.');
    const folder = fake.add({ name: 'Folder', mimeType: FOLDER_MIME_TYPE });
    expect(await runError('downloadFile', { fileId: folder.id })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('lists with a Drive query built from the filters and walks nextPageToken pages', async () => {
    const parent = fake.add({ name: 'Invoices', mimeType: FOLDER_MIME_TYPE });
    for (let index = 0; index < 130; index++)
      fake.add({ name: `Invoice ${index}.pdf`, mimeType: 'application/pdf', parents: [parent.id] });
    fake.add({ name: "Bob's invoice.pdf", mimeType: 'application/pdf', parents: [parent.id] });
    const before = fake.requests.length;
    const listed = (await run('listFiles', { folderId: parent.id, nameContains: 'invoice', limit: 500 })) as {
      files: unknown[];
      truncated: boolean;
    };
    expect(listed.files).toHaveLength(131);
    expect(listed.truncated).toBe(false);
    const pages = fake.requests.slice(before).filter((request) => request.path === '/drive/v3/files');
    expect(pages).toHaveLength(2);
    expect(pages[0]?.query).toMatchObject({
      q: `trashed = false and '${parent.id}' in parents and name contains 'invoice'`,
      pageSize: '100',
      orderBy: 'modifiedTime desc',
    });
    expect(pages[1]?.query).toHaveProperty('pageToken');
    const quoted = (await run('listFiles', { nameContains: "bob's" })) as { files: { name: string }[] };
    expect(quoted.files.map((file) => file.name)).toEqual(["Bob's invoice.pdf"]);
    expect(last('/drive/v3/files')?.query).toMatchObject({
      q: "trashed = false and name contains 'bob\\'s'",
    });
  });

  it('shares a file with a person as writer, with the notification e-mail', async () => {
    const file = fake.add({ name: 'Plan.docx' });
    const shared = await run('shareFile', {
      fileId: file.id,
      role: 'writer',
      emailAddress: 'ana@example.com',
      message: 'Please review',
    });
    expect(shared).toMatchObject({
      fileId: file.id,
      role: 'writer',
      type: 'user',
      emailAddress: 'ana@example.com',
    });
    const sent = last('/permissions');
    expect(sent?.body).toEqual({ role: 'writer', type: 'user', emailAddress: 'ana@example.com' });
    expect(sent?.query).toMatchObject({ sendNotificationEmail: 'true', emailMessage: 'Please review' });
    const link = await run('shareFile', { fileId: file.id, type: 'anyone' });
    expect(link).toMatchObject({ type: 'anyone', role: 'reader', emailAddress: null });
    expect(last('/permissions')?.query).not.toHaveProperty('sendNotificationEmail');
    expect(await runError('shareFile', { fileId: file.id, type: 'user' })).toMatchObject({
      code: 'E_PARAMS',
    });
  });

  it('maps Drive errors: notFound with a hint, userRateLimitExceeded as a retryable rate limit', async () => {
    const missing = await runError('downloadFile', { fileId: '1nothere000' });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', details: { vendorCode: 'NOT_FOUND' } });
    expect((missing as Error).message).toContain('File not found: 1nothere000.');
    expect((missing as { hint: string }).hint).toContain('not shared with this credential');
    fake.fail('files.list', {
      status: 403,
      body: googleError(403, 'PERMISSION_DENIED', 'User rate limit exceeded.', {
        reason: 'userRateLimitExceeded',
        domain: 'usageLimits',
      }),
    });
    expect(await runError('listFiles', {})).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      status: 403,
    });
    fake.fail('files.get', {
      status: 429,
      headers: { 'retry-after': '9' },
      body: googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'),
    });
    expect(await runError('downloadFile', { fileId: '1anything00' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryAfterMs: 9000,
    });
  });

  it('an expired oauth2 token on a download is renewed once; a refused one is E_AUTH with the reconnect hint', async () => {
    const file = fake.add({ name: 'notes.txt', mimeType: 'text/plain', content: Buffer.from('hello') });
    const credential = fake.auth.oauthCredential([DRIVE_SCOPE]);
    const tokens = memoryTokenSource(credential);
    const grants = fake.auth.refreshGrants();
    fake.auth.expireAccessTokens();
    const options = { env: { ...env, tokens }, credential, credentialType: 'oauth2', files };
    const got = (await runAction(googleDriveConnector, 'downloadFile', { fileId: file.id }, options)) as {
      file: never;
    };
    expect(files.bytes(got.file)?.toString()).toBe('hello');
    expect(fake.auth.refreshGrants()).toBe(grants + 1);
    const stale = fake.auth.oauthCredential([DRIVE_SCOPE]);
    fake.fail('files.list', {
      status: 401,
      times: 2,
      body: googleError(401, 'UNAUTHENTICATED', 'Invalid Credentials', { reason: 'authError' }),
    });
    const error = await runActionError(
      googleDriveConnector,
      'listFiles',
      { limit: 1 },
      {
        ...options,
        credential: stale,
        env: { ...env, tokens: memoryTokenSource(stale) },
      },
    );
    expect(error).toMatchObject({ code: 'E_AUTH', details: { vendorCode: 'UNAUTHENTICATED' } });
    expect((error as { hint: string }).hint).toContain(
      'vmesh credentials connect NAME --type oauth2 --provider google',
    );
    expect(fake.auth.refreshGrants()).toBe(grants + 2);
  });
});

describe('googledrive fileCreated and fileUpdated triggers', () => {
  const trigger = (key: string) =>
    googleDriveConnector.triggers.find((candidate) => candidate.key === key) as PollTriggerDefinition;
  const poll = (key: string, filters: unknown, after?: { at: number; id: string }) => {
    const credential = robot();
    return trigger(key).poll(
      {
        credential,
        client: googleDriveConnector.createClient({ credential, env }),
        logger: env.logger,
        signal: AbortSignal.timeout(10_000),
        env,
      },
      trigger(key).with.parse(filters),
      { after, state: undefined },
    );
  };

  it('fileCreated asks Drive for files created after the watermark in the folder, newest first', async () => {
    const folder = fake.add({ name: 'Inbox', mimeType: FOLDER_MIME_TYPE });
    const old = fake.add({ name: 'old.pdf', parents: [folder.id] });
    const first = await poll('fileCreated', { folderId: folder.id });
    expect(first.items.map((item) => item.id)).toEqual([old.id]);
    expect(last('/drive/v3/files')?.query).toMatchObject({
      q: `trashed = false and '${folder.id}' in parents`,
      orderBy: 'createdTime desc',
    });
    const fresh = fake.add({ name: 'new.pdf', parents: [folder.id] });
    const after = { at: Date.parse(old.createdTime), id: old.id };
    const next = await poll('fileCreated', { folderId: folder.id }, after);
    expect(last('/drive/v3/files')?.query).toMatchObject({
      q: `trashed = false and '${folder.id}' in parents and createdTime > '${new Date(after.at - 1000).toISOString()}'`,
    });
    expect(next.items.map((item) => item.id)).toContain(fresh.id);
    expect(next.items.find((item) => item.id === fresh.id)).toMatchObject({
      at: Date.parse(fresh.createdTime),
      data: { name: 'new.pdf' },
    });
  });

  it('fileUpdated tracks each (file, modifiedTime): a change to a known file is a new item', async () => {
    const file = fake.add({ name: 'budget.xlsx' });
    const first = await poll('fileUpdated', { nameContains: 'budget' });
    expect(first.items.map((item) => item.id)).toEqual([`${file.id}@${file.modifiedTime}`]);
    file.modifiedTime = '2027-01-01T00:00:00.000Z';
    const next = await poll(
      'fileUpdated',
      { nameContains: 'budget' },
      { at: Date.parse('2026-12-31T00:00:00.000Z'), id: 'x' },
    );
    expect(next.items.map((item) => item.id)).toEqual([`${file.id}@2027-01-01T00:00:00.000Z`]);
    expect(last('/drive/v3/files')?.query).toMatchObject({ orderBy: 'modifiedTime desc' });
  });
});

it('documents every action and trigger', async () => {
  const doc = await readFile(googleDriveConnector.docPath, 'utf8');
  expect(docSections(doc)).toEqual([
    ...googleDriveConnector.actions.map((action) => action.key),
    ...googleDriveConnector.triggers.map((candidate) => `trigger:${candidate.key}`),
  ]);
});
