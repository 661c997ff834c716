import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { invokeAction } from '../invoke.ts';
import type { FilePort, FileRef } from '../sdk/files.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { telegramConnector } from './connector.ts';
import { startTelegramFake, type TelegramFake, telegramError } from './fake-server.ts';
import { message, parseTelegramUpdate } from './triggers/message.ts';

let fake: TelegramFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ botToken: fake.botToken });

beforeAll(async () => {
  fake = await startTelegramFake();
  env = createTestEnvironment({ telegram: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runAction(telegramConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: { credential?: unknown } = {}) =>
  runActionError(telegramConnector, key, input, { env, credential: credential(), ...options });

/** A file port over bytes in memory, as the engine's store gives one to a step. */
function memoryFiles(
  bytes: Uint8Array,
  name: string,
  contentType: string,
): { files: FilePort; ref: FileRef } {
  const ref: FileRef = {
    id: 'f_telegramtestfile0000000001',
    name,
    contentType,
    size: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  const files: FilePort = {
    write: () => Promise.reject(new Error('read only')),
    read: async () => ({ ref, stream: new Blob([new Uint8Array(bytes)]).stream() }),
  };
  return { files, ref };
}

describe('telegram connector against the Bot API fake', () => {
  it('sends a reply with buttons; the token goes only in the URL path', async () => {
    const sent = await run('sendMessage', {
      chatId: fake.chatId,
      text: 'Order 1042 is on its way.',
      replyToMessageId: 7,
      buttons: [
        [
          { text: 'Track', url: 'https://tracking.example/1042' },
          { text: 'Cancel', callbackData: 'cancel:1042' },
        ],
      ],
    });
    expect(sent).toMatchObject({ chatId: fake.chatId, messageId: expect.any(Number) });
    expect(fake.sent(fake.chatId).at(-1)).toMatchObject({
      text: 'Order 1042 is on its way.',
      reply_to: 7,
      reply_markup: {
        inline_keyboard: [
          [
            { text: 'Track', url: 'https://tracking.example/1042' },
            { text: 'Cancel', callback_data: 'cancel:1042' },
          ],
        ],
      },
    });
    expect(fake.requests.at(-1)?.path).toBe(`/bot${fake.botToken}/sendMessage`);
  });

  it('edits the message and answers a button press', async () => {
    const first = (await run('sendMessage', { chatId: fake.chatId, text: 'packing' })) as {
      messageId: number;
    };
    expect(
      await run('editMessage', { chatId: fake.chatId, messageId: first.messageId, text: 'shipped' }),
    ).toMatchObject({
      messageId: first.messageId,
    });
    expect(fake.sent().find((entry) => entry.message_id === first.messageId)?.text).toBe('shipped');
    const unchanged = await runError('editMessage', {
      chatId: fake.chatId,
      messageId: first.messageId,
      text: 'shipped',
    });
    expect(unchanged).toMatchObject({ code: 'E_REQUEST', retryable: false });
    expect((unchanged as Error).message).toContain('message is not modified');
    expect(await run('answerCallback', { callbackQueryId: '4382bfdwdsb323b2d9', text: 'Done' })).toEqual({
      answered: true,
    });
  });

  it('uploads a file of the run as multipart, byte for byte', async () => {
    const bytes = new TextEncoder().encode('order,total\n1042,99.50\n');
    const { files, ref } = memoryFiles(bytes, 'orders.csv', 'text/csv');
    const action = telegramConnector.actions.find((candidate) => candidate.key === 'sendDocument');
    if (!action) throw new Error('no sendDocument');
    await invokeAction({
      connector: telegramConnector,
      action,
      input: { chatId: fake.chatId, file: ref, caption: 'Today' },
      credential: credential(),
      env,
      signal: new AbortController().signal,
      attempt: 1,
      idempotencyKey: 'run-1:doc:0',
      node: { id: 'doc', runId: 'run-1' },
      logger: createLogger({ level: 'silent' }),
      files,
    });
    expect(fake.sent(fake.chatId).at(-1)).toMatchObject({
      caption: 'Today',
      file: { field: 'document', name: 'orders.csv', size: bytes.byteLength, sha256: ref.sha256 },
    });
  });

  it('maps chat not found, a blocked bot and a flood wait', async () => {
    const missing = await runError('sendMessage', { chatId: 999, text: 'hi' });
    expect(missing).toMatchObject({ code: 'E_REQUEST', retryable: false, status: 400 });
    expect((missing as { hint: string }).hint).toContain('started a chat');
    expect(await runError('sendMessage', { chatId: fake.blockedChatId, text: 'hi' })).toMatchObject({
      code: 'E_AUTH',
      status: 403,
    });
    fake.fail('sendMessage', {
      status: 429,
      body: telegramError(429, 'Too Many Requests: retry after 5', { retry_after: 5 }),
    });
    expect(await runError('sendMessage', { chatId: fake.chatId, text: 'hi' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 5000,
    });
  });

  it('parses message and button-press updates, and verifies the secret-token header', () => {
    const update = {
      update_id: 5001,
      message: {
        message_id: 9,
        date: 1_764_840_000,
        chat: { id: 1111111, type: 'private' },
        from: { id: 1111111, is_bot: false, first_name: 'Ana', username: 'ana', language_code: 'de' },
        text: '/order 1042',
      },
    };
    expect(parseTelegramUpdate(update)).toMatchObject({
      kind: 'message',
      chatId: 1111111,
      text: '/order 1042',
      from: { username: 'ana' },
    });
    expect(
      parseTelegramUpdate({
        update_id: 1,
        message: { ...update.message, from: { id: 2, is_bot: true, first_name: 'Bot' } },
      }),
    ).toBeUndefined();
    expect(
      parseTelegramUpdate({
        update_id: 5002,
        callback_query: {
          id: 'cb1',
          from: update.message.from,
          message: update.message,
          data: 'cancel:1042',
        },
      }),
    ).toMatchObject({ kind: 'callback', callbackQueryId: 'cb1', text: 'cancel:1042' });
    const delivery = (secret?: string) => ({
      headers: secret ? { 'x-telegram-bot-api-secret-token': secret } : {},
      rawBody: Buffer.from(JSON.stringify(update)),
      body: update,
    });
    if (message.kind !== 'webhook') throw new Error('webhook trigger expected');
    expect(message.verify(delivery('s3cret'), 's3cret')).toBe(true);
    expect(message.verify(delivery('wrong!'), 's3cret')).toBe(false);
    expect(message.verify(delivery(), 's3cret')).toBe(false);
    const filters = message.with.parse({ commands: ['/order'] });
    expect(message.matches?.(filters, parseTelegramUpdate(update))).toBe(true);
    expect(message.matches?.(filters, { ...parseTelegramUpdate(update), text: 'hello' })).toBe(false);
  });

  it('a revoked token is E_AUTH with how to store a new one, and the token never shows in the error', async () => {
    const stale = credential();
    fake.revoke();
    const error = await runError('sendMessage', { chatId: fake.chatId, text: 'hi' }, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', status: 401 });
    expect((error as { hint: string }).hint).toContain('--type telegram');
    expect(JSON.stringify({ message: (error as Error).message })).not.toContain(stale.botToken);
  });

  it('documents every action and the trigger for the agent', async () => {
    const doc = await readFile(telegramConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...telegramConnector.actions.map((action) => action.key),
      ...telegramConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
