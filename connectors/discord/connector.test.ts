import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { discordNonce, splitContent } from './client.ts';
import { discordConnector } from './connector.ts';
import { type DiscordFake, startDiscordFake } from './fake-server.ts';

let fake: DiscordFake;
let env: ReturnType<typeof createTestEnvironment>;
let bot: { botToken: string };
type Options = { attempt?: number; idempotencyKey?: string; credential?: unknown };

beforeAll(async () => {
  fake = await startDiscordFake();
  env = createTestEnvironment({ discord: fake.url });
  bot = { botToken: fake.botToken };
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(discordConnector, key, input, { env, credential: bot, ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(discordConnector, key, input, { env, credential: bot, ...options });

describe('discord connector against the fake REST API', () => {
  it('sends a bot message with a ≤25-char nonce and enforce_nonce', async () => {
    const out = (await run(
      'sendMessage',
      { channelId: fake.channelId, content: 'hello' },
      { idempotencyKey: 'run-9:n:0' },
    )) as {
      id: string;
    };
    expect(out).toMatchObject({ channelId: fake.channelId, messageIds: [out.id] });
    const request = fake.requests.at(-1);
    expect(request?.headers.authorization).toBe(`Bot ${fake.botToken}`);
    expect(request?.body).toMatchObject({
      content: 'hello',
      enforce_nonce: true,
      nonce: discordNonce('run-9:n:0'),
    });
    expect(discordNonce('run-9:n:0').length).toBeLessThanOrEqual(25);
  });

  it('does not send twice when a retry follows a lost answer (nonce)', async () => {
    const before = fake.messages(fake.channelId).length;
    fake.fail('POST /channels/:channelId/messages', {
      status: 502,
      body: { message: 'Bad Gateway', code: 0 },
      applyFirst: true,
    });
    expect(
      await runError('sendMessage', { channelId: fake.channelId, content: 'once' }, { idempotencyKey: 'k1' }),
    ).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
    await run(
      'sendMessage',
      { channelId: fake.channelId, content: 'once' },
      { idempotencyKey: 'k1', attempt: 2 },
    );
    expect(fake.messages(fake.channelId).length).toBe(before + 1);
  });

  it('rejects content over 2000 characters with a hint, or splits it when asked', async () => {
    const long = `${'a'.repeat(1500)}\n${'b'.repeat(1500)}`;
    const error = await runError('sendMessage', { channelId: fake.channelId, content: long });
    expect(error).toMatchObject({
      code: 'E_PARAMS',
      retryable: false,
      hint: expect.stringContaining('split: true'),
    });
    const out = (await run(
      'sendMessage',
      { channelId: fake.channelId, content: long, split: true },
      { idempotencyKey: 'k2' },
    )) as {
      messageIds: string[];
    };
    expect(out.messageIds).toHaveLength(2);
    expect(
      fake
        .messages(fake.channelId)
        .slice(-2)
        .map((message) => message.content),
    ).toEqual(['a'.repeat(1500), 'b'.repeat(1500)]);
    expect(splitContent('x'.repeat(4500)).map((part) => part.length)).toEqual([2000, 2000, 500]);
  });

  it('maps Discord error JSON to errors with hints', async () => {
    expect(await runError('sendMessage', { channelId: '999999999999999999', content: 'x' })).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { discordCode: 10003 },
    });
    expect(await runError('sendMessage', { channelId: fake.hiddenChannelId, content: 'x' })).toMatchObject({
      code: 'E_AUTH',
      hint: expect.stringContaining('invite'),
    });
    expect(
      await runError(
        'sendMessage',
        { channelId: fake.channelId, content: 'x' },
        { credential: { botToken: 'wrong-token-wrong-token' } },
      ),
    ).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
      hint: expect.stringContaining('--type discord'),
    });
    const invalid = await runError('sendMessage', {
      channelId: fake.channelId,
      embeds: Array.from({ length: 10 }, () => ({})),
    });
    expect(invalid).toMatchObject({ code: 'E_REQUEST' });
    expect((invalid as Error).message).toBe(
      'discord: POST /channels/{id}/messages failed: Cannot send an empty message [Discord code 50006] (HTTP 400)',
    );
  });

  it('maps 429 with retry_after to a retryable error without waiting or retrying in the SDK', async () => {
    const count = fake.requests.length;
    fake.fail('POST /channels/:channelId/messages', {
      status: 429,
      headers: {
        'retry-after': '2',
        'x-ratelimit-scope': 'user',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset-after': '2',
      },
      body: { message: 'You are being rate limited.', retry_after: 2, global: false },
    });
    const error = (await runError('sendMessage', { channelId: fake.channelId, content: 'x' })) as {
      retryAfterMs: number;
    };
    expect(error).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(2000);
    expect(fake.requests.length).toBe(count + 1);
  });

  it('sends through a webhook from the credential, and reports an unknown webhook', async () => {
    const out = await run(
      'sendWebhookMessage',
      { content: 'via hook', username: 'Monitor' },
      { credential: { webhookUrl: fake.webhookUrl } },
    );
    expect(out).toMatchObject({ channelId: fake.channelId });
    expect(fake.messages(fake.channelId).at(-1)).toMatchObject({
      content: 'via hook',
      author: { username: 'Monitor' },
    });
    expect(fake.requests.at(-1)?.headers.authorization).toBeUndefined();
    const unknown = fake.webhookUrl.replace('444444444444444444', '555555555555555555');
    expect(
      await runError('sendWebhookMessage', { content: 'x', webhookUrl: unknown }, { credential: undefined }),
    ).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { discordCode: 10015 },
    });
    expect(
      await runError('sendWebhookMessage', { content: 'x' }, { credential: { botToken: fake.botToken } }),
    ).toMatchObject({
      code: 'E_CREDENTIAL',
    });
  });

  it('doc.md has one section per action', async () => {
    const sections = docSections(await readFile(discordConnector.docPath, 'utf8'));
    expect(sections).toEqual(discordConnector.actions.map((action) => action.key));
  });
});
