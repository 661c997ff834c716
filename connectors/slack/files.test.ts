import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileRef } from '../sdk/files.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles, type MemoryFiles } from '../testing/memory-files.ts';
import { runAction, runActionError } from '../testing/run-action.ts';
import { slackConnector } from './connector.ts';
import { type SlackFake, startSlackFake } from './fake-server.ts';
import { parseSlackMessageEvent } from './triggers/message-posted.ts';

// slack.uploadFile and slack.downloadFile through invokeAction against the Slack fake: the three-step upload
// (files.getUploadURLExternal, the bytes to the upload URL, files.completeUploadExternal), url_private downloads with
// the bot token, Slack's error bodies, 429s, and a token that never leaves Slack's file host.

const GENERAL = 'C0000000001';
const SECRET_PLANS = 'C0000000002';
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

let fake: SlackFake;
let env: ReturnType<typeof createTestEnvironment>;
let files: MemoryFiles;
let credential: { token: string };
/** Another host on 127.0.0.1: what it received (it must never see the token). */
let elsewhere: Server;
let elsewhereUrl = '';
const elsewhereSeen: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  fake = await startSlackFake({ maxUploadBytes: 1024 * 1024 });
  env = createTestEnvironment({ slack: fake.apiUrl });
  credential = { token: fake.token };
  elsewhere = createServer((request, response) => {
    elsewhereSeen.push({ url: request.url ?? '', headers: request.headers });
    request.resume();
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    response.end('bytes from elsewhere');
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  const address = elsewhere.address();
  elsewhereUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await fake.close();
  elsewhere.closeAllConnections();
  await new Promise((resolve) => elsewhere.close(resolve));
});
beforeEach(() => {
  files = createMemoryFiles();
  elsewhereSeen.length = 0;
  fake.redirectDownloadsTo(undefined);
});

type Options = { credential?: unknown; env?: ReturnType<typeof createTestEnvironment> };
const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(slackConnector, key, input, { env, credential, files, ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(slackConnector, key, input, { env, credential, files, ...options });

describe('slack.uploadFile', () => {
  it('uploads the bytes intact to the upload URL (no token), then shares the file in a thread with a comment', async () => {
    const bytes = randomBytes(200_000);
    const ref = files.add('report.pdf', bytes, 'application/pdf');
    fake.addMessage(GENERAL, { ts: '1700000100.000100', user: 'U0000000001', text: 'send me the report' });
    const out = (await run('uploadFile', {
      channel: GENERAL,
      file: ref,
      title: 'Weekly report',
      initialComment: 'Here it is',
      threadTs: '1700000100.000100',
    })) as { fileId: string };
    expect(out).toMatchObject({
      fileId: expect.stringMatching(/^F/),
      channel: GENERAL,
      title: 'Weekly report',
    });
    const stored = fake.files().find((file) => file.id === out.fileId);
    expect(stored).toMatchObject({ name: 'report.pdf', length: bytes.length, sha256: ref.sha256 });
    expect(stored?.shares).toEqual([
      {
        channel: GENERAL,
        ts: expect.any(String),
        threadTs: '1700000100.000100',
        initialComment: 'Here it is',
      },
    ]);
    const upload = fake.requests.find((request) => request.path.startsWith('/upload/v1/'));
    expect(upload?.headers.authorization).toBeUndefined();
    expect(upload?.headers['content-length']).toBe(String(bytes.length));
    expect(upload?.headers['content-type']).toBe('application/pdf');
    const ticket = fake.calls.find((call) => call.method === 'files.getUploadURLExternal');
    expect(ticket?.args).toMatchObject({ filename: 'report.pdf', length: String(bytes.length) });
    expect(fake.messages(GENERAL).at(-1)).toMatchObject({
      text: 'Here it is',
      thread_ts: '1700000100.000100',
      files: [{ id: out.fileId, title: 'Weekly report' }],
    });
  });

  it('maps not_in_channel, invalid_auth and token_revoked to E_AUTH with hints, and a size limit to E_FILE_TOO_LARGE', async () => {
    const ref = files.add('a.txt', Buffer.from('hello\n'), 'text/plain');
    expect(await runError('uploadFile', { channel: SECRET_PLANS, file: ref })).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
      hint: expect.stringContaining('/invite'),
      details: { slackError: 'not_in_channel' },
    });
    expect(
      await runError('uploadFile', { channel: GENERAL, file: ref }, { credential: { token: 'xoxb-wrong' } }),
    ).toMatchObject({ code: 'E_AUTH', details: { slackError: 'invalid_auth' } });
    const revokedFake = await startSlackFake({ token: 'xoxb-soon-revoked-0001' });
    revokedFake.revokeToken('xoxb-soon-revoked-0001');
    const revoked = await runError(
      'uploadFile',
      { channel: GENERAL, file: ref },
      {
        credential: { token: 'xoxb-soon-revoked-0001' },
        env: createTestEnvironment({ slack: revokedFake.apiUrl }),
      },
    );
    await revokedFake.close();
    expect(revoked).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
      hint: expect.stringContaining('vmesh credentials set'),
      details: { slackError: 'token_revoked' },
    });
    const big = files.add('big.bin', Buffer.alloc(1024 * 1024 + 1, 1));
    expect(await runError('uploadFile', { channel: GENERAL, file: big })).toMatchObject({
      code: 'E_FILE_TOO_LARGE',
      retryable: false,
      details: { slackError: 'file_upload_size_restricted' },
    });
    // A file of another run (not in this run's store) fails before Slack is called.
    const count = fake.requests.length;
    const foreign = FileRef.parse({ ...ref, id: 'f_notInThisRun0000000000000' });
    expect(await runError('uploadFile', { channel: GENERAL, file: foreign })).toMatchObject({
      code: 'E_FILE_NOT_FOUND',
    });
    expect(fake.requests.length).toBe(count);
  });

  it('maps a 429 of the Web API and of the upload host to retryable rate-limit errors with Retry-After', async () => {
    const ref = files.add('a.txt', Buffer.from('hello\n'), 'text/plain');
    fake.fail('files.getUploadURLExternal', {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': '7' },
    });
    expect(await runError('uploadFile', { channel: GENERAL, file: ref })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7000,
    });
    fake.fail('upload', { status: 429, body: 'slow down', headers: { 'retry-after': '2' } });
    expect(await runError('uploadFile', { channel: GENERAL, file: ref })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 2000,
    });
    fake.fail('upload', { status: 500, body: 'broken' });
    expect(await runError('uploadFile', { channel: GENERAL, file: ref })).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
  });

  it('refuses an upload URL that is not on Slack’s file host, sending nothing to it', async () => {
    const hijacked = await startSlackFake({ uploadOrigin: elsewhereUrl });
    const ref = files.add('a.txt', Buffer.from('secret report\n'), 'text/plain');
    const error = await runError(
      'uploadFile',
      { channel: GENERAL, file: ref },
      { credential: { token: hijacked.token }, env: createTestEnvironment({ slack: hijacked.apiUrl }) },
    );
    await hijacked.close();
    expect(error).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: false,
      details: { uploadOrigin: elsewhereUrl },
    });
    expect(elsewhereSeen).toEqual([]);
  });
});

describe('slack.downloadFile', () => {
  it('downloads a shared file by id and by url_private, bytes intact, and an uploaded one round trip', async () => {
    const bytes = randomBytes(150_000);
    const shared = fake.addFile({ name: 'photo.png', bytes, mimetype: 'image/png' });
    const byId = (await run('downloadFile', { fileId: shared.id })) as { file: unknown; slackFileId: string };
    const file = FileRef.parse(byId.file);
    expect(file).toMatchObject({ name: 'photo.png', size: bytes.length, sha256: sha(bytes) });
    expect(byId.slackFileId).toBe(shared.id);
    expect(files.bytes(file)?.equals(bytes)).toBe(true);
    const download = fake.requests.filter((request) => request.path.startsWith('/files-pri/')).at(-1);
    expect(download?.headers.authorization).toBe(`Bearer ${fake.token}`);

    const byUrl = (await run('downloadFile', { url: shared.url_private, fileName: 'copy.png' })) as {
      file: unknown;
      slackFileId: string;
    };
    expect(FileRef.parse(byUrl.file)).toMatchObject({ name: 'copy.png', sha256: sha(bytes) });
    expect(byUrl.slackFileId).toBe(shared.id);

    const ref = files.add('notes.txt', Buffer.from('round trip\n'), 'text/plain');
    const uploaded = (await run('uploadFile', { channel: GENERAL, file: ref })) as { fileId: string };
    const back = (await run('downloadFile', { fileId: uploaded.fileId })) as { file: unknown };
    expect(FileRef.parse(back.file)).toMatchObject({ name: 'notes.txt', sha256: ref.sha256 });
  });

  it('never sends the token to another host: refuses such a url, and drops it on a redirect away', async () => {
    const count = fake.requests.length;
    const refused = await runError('downloadFile', { url: `${elsewhereUrl}/files-pri/T1-F1/x.png` });
    expect(refused).toMatchObject({
      code: 'E_PARAMS',
      retryable: false,
      hint: expect.stringContaining('fileId'),
    });
    expect(elsewhereSeen).toEqual([]);
    expect(fake.requests.length).toBe(count);

    const shared = fake.addFile({ name: 'moved.bin', bytes: Buffer.from('x') });
    fake.redirectDownloadsTo(elsewhereUrl);
    const out = (await run('downloadFile', { url: shared.url_private_download })) as { file: unknown };
    expect(FileRef.parse(out.file)).toMatchObject({ size: 'bytes from elsewhere'.length });
    expect(elsewhereSeen).toHaveLength(1);
    expect(elsewhereSeen[0]?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(elsewhereSeen)).not.toContain(fake.token);
  });

  it('maps a refused token (Slack’s sign-in page), a revoked one, file_not_found and a 429', async () => {
    const shared = fake.addFile({ name: 'a.txt', bytes: Buffer.from('a'), mimetype: 'text/plain' });
    expect(
      await runError('downloadFile', { url: shared.url_private }, { credential: { token: 'xoxb-wrong' } }),
    ).toMatchObject({ code: 'E_AUTH', retryable: false, hint: expect.stringContaining('files:read') });
    const other = await startSlackFake({ token: 'xoxb-revoked-later-0001' });
    const otherFile = other.addFile({ name: 'b.txt', bytes: Buffer.from('b') });
    other.revokeToken('xoxb-revoked-later-0001');
    const otherEnv = createTestEnvironment({ slack: other.apiUrl });
    const revokedInfo = await runError(
      'downloadFile',
      { fileId: otherFile.id },
      { credential: { token: 'xoxb-revoked-later-0001' }, env: otherEnv },
    );
    const revokedUrl = await runError(
      'downloadFile',
      { url: otherFile.url_private },
      { credential: { token: 'xoxb-revoked-later-0001' }, env: otherEnv },
    );
    await other.close();
    expect(revokedInfo).toMatchObject({ code: 'E_AUTH', details: { slackError: 'token_revoked' } });
    expect(revokedUrl).toMatchObject({ code: 'E_AUTH' });
    expect(await runError('downloadFile', { fileId: 'F9999999999' })).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { slackError: 'file_not_found' },
    });
    fake.fail('download', { status: 429, body: 'slow down', headers: { 'retry-after': '4' } });
    expect(await runError('downloadFile', { url: shared.url_private })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 4000,
    });
    expect(await runError('downloadFile', {})).toMatchObject({ code: 'E_PARAMS' });
  });
});

describe('messagePosted trigger data', () => {
  it('lists the files of a file_share message, for slack.downloadFile', () => {
    const data = parseSlackMessageEvent({
      type: 'message',
      subtype: 'file_share',
      channel: GENERAL,
      user: 'U1',
      text: 'the invoice',
      ts: '1.000001',
      files: [
        {
          id: 'F0000000001',
          name: 'invoice.pdf',
          mimetype: 'application/pdf',
          size: 1234,
          url_private: 'https://files.slack.com/files-pri/T1-F0000000001/invoice.pdf',
        },
      ],
    });
    expect(data?.files).toEqual([
      {
        id: 'F0000000001',
        name: 'invoice.pdf',
        mimetype: 'application/pdf',
        size: 1234,
        urlPrivate: 'https://files.slack.com/files-pri/T1-F0000000001/invoice.pdf',
      },
    ]);
    expect(
      parseSlackMessageEvent({ type: 'message', channel: GENERAL, text: 'x', ts: '1.1', files: 'odd' }),
    ).not.toHaveProperty('files');
  });
});
