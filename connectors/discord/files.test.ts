import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles, type MemoryFiles } from '../testing/memory-files.ts';
import { runAction, runActionError } from '../testing/run-action.ts';
import { discordNonce } from './client.ts';
import { discordConnector } from './connector.ts';
import { type DiscordFake, startDiscordFake } from './fake-server.ts';

// Files on discord.sendMessage and discord.sendWebhookMessage through invokeAction: multipart/form-data with
// payload_json and files[n] (the fake parses it and hashes every part), the caps, and Discord's error bodies.

let fake: DiscordFake;
let env: ReturnType<typeof createTestEnvironment>;
let files: MemoryFiles;
let bot: { botToken: string };
type Options = { credential?: unknown; idempotencyKey?: string };

beforeAll(async () => {
  fake = await startDiscordFake();
  env = createTestEnvironment({ discord: fake.url });
  bot = { botToken: fake.botToken };
});
afterAll(() => fake.close());
beforeEach(() => {
  files = createMemoryFiles();
  fake.uploads.length = 0;
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(discordConnector, key, input, { env, credential: bot, files, ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(discordConnector, key, input, { env, credential: bot, files, ...options });

describe('discord files', () => {
  it('sendMessage attaches files as files[n] with an attachments list in payload_json, bytes intact', async () => {
    const chart = files.add('chart.png', randomBytes(120_000), 'image/png');
    const csv = files.add('data.csv', Buffer.from('a,b\n1,2\n'), 'text/csv');
    const out = (await run(
      'sendMessage',
      {
        channelId: fake.channelId,
        content: 'Numbers attached',
        files: [chart, csv],
        embeds: [{ title: 'Chart', image: { url: 'attachment://chart.png' } }],
      },
      { idempotencyKey: 'files-1' },
    )) as { id: string };
    expect(fake.uploads).toEqual([
      {
        field: 'files[0]',
        filename: 'chart.png',
        contentType: 'image/png',
        size: 120_000,
        sha256: chart.sha256,
      },
      {
        field: 'files[1]',
        filename: 'data.csv',
        contentType: 'text/csv',
        size: csv.size,
        sha256: csv.sha256,
      },
    ]);
    const request = fake.requests.at(-1);
    expect(request?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(request?.headers.authorization).toBe(`Bot ${fake.botToken}`);
    expect(request?.body).toMatchObject({
      content: 'Numbers attached',
      nonce: discordNonce('files-1'),
      enforce_nonce: true,
      attachments: [
        { id: 0, filename: 'chart.png' },
        { id: 1, filename: 'data.csv' },
      ],
    });
    const message = fake.messages(fake.channelId).find((candidate) => candidate.id === out.id);
    expect(message?.attachments.map((attachment) => [attachment.filename, attachment.size])).toEqual([
      ['chart.png', 120_000],
      ['data.csv', csv.size],
    ]);
  });

  it('sends files alone, and with split content only on the last message', async () => {
    const only = files.add('only.txt', Buffer.from('just a file\n'), 'text/plain');
    await run('sendMessage', { channelId: fake.channelId, files: [only] }, { idempotencyKey: 'files-2' });
    expect(fake.uploads.map((upload) => upload.sha256)).toEqual([only.sha256]);
    const long = `${'a'.repeat(1500)}\n${'b'.repeat(1500)}`;
    const out = (await run(
      'sendMessage',
      { channelId: fake.channelId, content: long, split: true, files: [only] },
      { idempotencyKey: 'files-3' },
    )) as { messageIds: string[] };
    const sent = fake.messages(fake.channelId).filter((message) => out.messageIds.includes(message.id));
    expect(sent.map((message) => message.attachments.length)).toEqual([0, 1]);
  });

  it('a retry after a lost answer does not post the files twice (the nonce in payload_json)', async () => {
    const once = files.add('once.txt', Buffer.from('once\n'), 'text/plain');
    const before = fake.messages(fake.channelId).length;
    fake.fail('POST /channels/:channelId/messages', {
      status: 502,
      body: { message: 'Bad Gateway', code: 0 },
      applyFirst: true,
    });
    const input = { channelId: fake.channelId, files: [once] };
    expect(await runError('sendMessage', input, { idempotencyKey: 'files-lost' })).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
    const retried = (await runAction(discordConnector, 'sendMessage', input, {
      env,
      credential: bot,
      files,
      idempotencyKey: 'files-lost',
      attempt: 2,
    })) as { attachments: { filename: string }[] };
    expect(retried.attachments.map((attachment) => attachment.filename)).toEqual(['once.txt']);
    expect(fake.messages(fake.channelId).length).toBe(before + 1);
    expect(fake.uploads).toHaveLength(1);
  });

  it('sendWebhookMessage attaches files through the webhook, without a bot token', async () => {
    const log = files.add('build.log', Buffer.from('ok\n'.repeat(1000)), 'text/plain');
    const out = (await run(
      'sendWebhookMessage',
      { content: 'Build log', files: [log], username: 'CI' },
      { credential: { webhookUrl: fake.webhookUrl } },
    )) as { id: string; attachments: { filename: string }[] };
    expect(out.attachments.map((attachment) => attachment.filename)).toEqual(['build.log']);
    expect(fake.uploads).toEqual([expect.objectContaining({ filename: 'build.log', sha256: log.sha256 })]);
    expect(fake.requests.at(-1)?.headers.authorization).toBeUndefined();
    expect(
      fake.messages(fake.channelId).find((message) => message.id === out.id)?.attachments[0]?.filename,
    ).toBe('build.log');
    expect(
      await runError(
        'sendWebhookMessage',
        { content: 'x', files: [log] },
        {
          credential: {
            webhookUrl: fake.webhookUrl.replace(/\/[^/]+$/, '/wrong-token-abcdefghijklmnopqrstuvwxyz'),
          },
        },
      ),
    ).toMatchObject({ code: 'E_NOT_FOUND', details: { discordCode: 10015 } });
  });

  it('caps: at most 10 files, each within 20 MiB, checked before anything is sent', async () => {
    const small = files.add('s.txt', Buffer.from('s'), 'text/plain');
    const count = fake.requests.length;
    expect(
      await runError('sendMessage', {
        channelId: fake.channelId,
        files: Array.from({ length: 11 }, () => small),
      }),
    ).toMatchObject({ code: 'E_PARAMS' });
    const big = files.add('big.bin', Buffer.alloc(20 * 1024 * 1024 + 1, 1));
    expect(
      await runError('sendMessage', { channelId: fake.channelId, content: 'x', files: [small, big] }),
    ).toMatchObject({
      code: 'E_FILE_TOO_LARGE',
      retryable: false,
      details: { limitBytes: 20 * 1024 * 1024 },
    });
    expect(fake.requests.length).toBe(count);
  });

  it('maps a 429, a 413, an invalid bot token and an unknown channel with files', async () => {
    const file = files.add('a.txt', Buffer.from('a'), 'text/plain');
    fake.fail('POST /channels/:channelId/messages', {
      status: 429,
      headers: { 'retry-after': '3', 'x-ratelimit-scope': 'user' },
      body: { message: 'You are being rate limited.', retry_after: 3, global: false },
    });
    const limited = (await runError('sendMessage', { channelId: fake.channelId, files: [file] })) as {
      retryAfterMs: number;
    };
    expect(limited).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true });
    expect(limited.retryAfterMs).toBeGreaterThanOrEqual(3000);
    fake.fail('POST /channels/:channelId/messages', {
      status: 413,
      body: { code: 40005, message: 'Request entity too large' },
    });
    expect(await runError('sendMessage', { channelId: fake.channelId, files: [file] })).toMatchObject({
      code: 'E_FILE_TOO_LARGE',
      retryable: false,
    });
    expect(
      await runError(
        'sendMessage',
        { channelId: fake.channelId, files: [file] },
        { credential: { botToken: 'wrong-token-wrong-token' } },
      ),
    ).toMatchObject({ code: 'E_AUTH', retryable: false, hint: expect.stringContaining('--type discord') });
    expect(await runError('sendMessage', { channelId: '999999999999999999', files: [file] })).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { discordCode: 10003 },
    });
  });
});
