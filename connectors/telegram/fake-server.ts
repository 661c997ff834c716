import { createHash } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeTelegramMessage = {
  message_id: number;
  chat_id: number;
  text?: string;
  caption?: string;
  reply_to?: number;
  reply_markup?: unknown;
  /** For sendDocument/sendPhoto: the uploaded file as received. */
  file?: { field: string; name: string; type: string; size: number; sha256: string };
};

export type TelegramFake = {
  /** Give as env.baseUrls.telegram (`…/bot{token}`: the token is filled in by the credential). */
  url: string;
  botToken: string;
  /** A private chat with a person who started the bot. */
  chatId: number;
  /** A chat whose person blocked the bot (403). */
  blockedChatId: number;
  requests: RecordedRequest[];
  sent(chatId?: number): FakeTelegramMessage[];
  /** The webhook setWebhook registered (undefined after deleteWebhook). */
  webhook(): { url: string; secretToken: string | undefined; allowedUpdates: string[] } | undefined;
  /** The token stops working, as after @BotFather → /revoke. */
  revoke(): void;
  /** Route keys are Bot API method names, e.g. `sendMessage`. */
  fail(method: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export function telegramError(code: number, description: string, parameters?: Record<string, number>) {
  return { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) };
}

const MAX_TEXT = 4096;

/**
 * A local Telegram Bot API (https://core.telegram.org/bots/api): `/bot<token>/<method>` with JSON or
 * multipart/form-data bodies, `{ ok, result }` answers and `{ ok: false, error_code, description, parameters }`
 * errors (401 Unauthorized, 400 chat not found / message is too long, 403 bot was blocked, 429 with
 * parameters.retry_after); sendMessage, editMessageText, answerCallbackQuery, sendDocument, sendPhoto, getMe,
 * setWebhook / deleteWebhook / getWebhookInfo.
 */
export async function startTelegramFake(): Promise<TelegramFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 60 * 1024 * 1024 });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const messages: FakeTelegramMessage[] = [];
  const chatId = 1111111;
  const blockedChatId = 2222222;
  let botToken = '7123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0';
  let hook: { url: string; secretToken: string | undefined; allowedUpdates: string[] } | undefined;
  let nextId = 100;

  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
    new Response(new Uint8Array(body as Buffer), {
      headers: { 'content-type': String(request.headers['content-type']) },
    })
      .formData()
      .then(
        (form) => done(null, form),
        (error: Error) => done(error),
      );
  });

  const ok = (reply: FastifyReply, result: unknown) => reply.send({ ok: true, result });
  const fail = (reply: FastifyReply, code: number, description: string) =>
    reply.code(code).send(telegramError(code, description));

  app.post<{ Params: { token: string; method: string } }>('/:token/:method', handle);
  app.get<{ Params: { token: string; method: string } }>('/:token/:method', handle);

  async function handle(
    request: FastifyRequest<{ Params: { token: string; method: string } }>,
    reply: FastifyReply,
  ) {
    const form = request.body instanceof FormData ? request.body : undefined;
    const recorded = recordRequest(request);
    if (form) {
      recorded.body = Object.fromEntries(
        [...form].map(([key, value]) => [key, typeof value === 'string' ? value : `<file ${value.name}>`]),
      );
    }
    requests.push(recorded);
    const { method } = request.params;
    if (request.params.token !== `bot${botToken}`) return fail(reply, 401, 'Unauthorized');
    const failure = failures.take(method);
    if (failure) return sendFailure(reply, failure);
    const field = (name: string): unknown =>
      form ? form.get(name) : (request.body as Record<string, unknown> | null)?.[name];
    const target = Number(field('chat_id'));
    const checkChat = (): boolean => {
      if (target === blockedChatId) {
        void fail(reply, 403, 'Forbidden: bot was blocked by the user');
        return false;
      }
      if (target !== chatId) {
        void fail(reply, 400, 'Bad Request: chat not found');
        return false;
      }
      return true;
    };
    const result = (entry: FakeTelegramMessage) => ({
      message_id: entry.message_id,
      date: 1_764_840_000,
      chat: { id: entry.chat_id, type: 'private', first_name: 'Ana' },
      ...(entry.text ? { text: entry.text } : {}),
      ...(entry.caption ? { caption: entry.caption } : {}),
    });
    switch (method) {
      case 'getMe':
        return ok(reply, { id: 7123456789, is_bot: true, first_name: 'Orders', username: 'orders_test_bot' });
      case 'sendMessage': {
        if (!checkChat()) return reply;
        const text = String(field('text') ?? '');
        if (!text) return fail(reply, 400, 'Bad Request: message text is empty');
        if (text.length > MAX_TEXT) return fail(reply, 400, 'Bad Request: message is too long');
        const replyTo = (field('reply_parameters') as { message_id?: number } | undefined)?.message_id;
        const entry: FakeTelegramMessage = {
          message_id: nextId++,
          chat_id: target,
          text,
          ...(replyTo === undefined ? {} : { reply_to: replyTo }),
          ...(field('reply_markup') ? { reply_markup: field('reply_markup') } : {}),
        };
        messages.push(entry);
        return ok(reply, result(entry));
      }
      case 'editMessageText': {
        if (!checkChat()) return reply;
        const entry = messages.find(
          (candidate) => candidate.chat_id === target && candidate.message_id === Number(field('message_id')),
        );
        if (!entry) return fail(reply, 400, 'Bad Request: message to edit not found');
        const text = String(field('text') ?? '');
        if (entry.text === text) return fail(reply, 400, 'Bad Request: message is not modified');
        entry.text = text;
        return ok(reply, result(entry));
      }
      case 'answerCallbackQuery':
        if (!field('callback_query_id'))
          return fail(
            reply,
            400,
            'Bad Request: query is too old and response timeout expired or query ID is invalid',
          );
        return ok(reply, true);
      case 'sendDocument':
      case 'sendPhoto': {
        if (!form) return fail(reply, 400, 'Bad Request: there is no document in the request');
        if (!checkChat()) return reply;
        const name = method === 'sendPhoto' ? 'photo' : 'document';
        const file = form.get(name);
        if (!(file instanceof File))
          return fail(reply, 400, `Bad Request: there is no ${name} in the request`);
        const bytes = Buffer.from(await file.arrayBuffer());
        const caption = form.get('caption');
        const entry: FakeTelegramMessage = {
          message_id: nextId++,
          chat_id: target,
          ...(typeof caption === 'string' ? { caption } : {}),
          file: {
            field: name,
            name: file.name,
            type: file.type,
            size: bytes.length,
            sha256: createHash('sha256').update(bytes).digest('hex'),
          },
        };
        messages.push(entry);
        return ok(reply, result(entry));
      }
      case 'setWebhook': {
        const url = String(field('url') ?? '');
        if (!url.startsWith('https://') && !url.startsWith('http://127.0.0.1')) {
          return fail(reply, 400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
        }
        const secret = field('secret_token');
        if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(String(secret))) {
          return fail(reply, 400, 'Bad Request: secret token contains unallowed characters');
        }
        hook = {
          url,
          secretToken: secret === undefined ? undefined : String(secret),
          allowedUpdates: (field('allowed_updates') as string[] | undefined) ?? [],
        };
        return ok(reply, true);
      }
      case 'deleteWebhook':
        hook = undefined;
        return ok(reply, true);
      case 'getWebhookInfo':
        return ok(reply, { url: hook?.url ?? '', has_custom_certificate: false, pending_update_count: 0 });
      default:
        return reply.code(404).send(telegramError(404, 'Not Found'));
    }
  }

  const base = await listenLocal(app);
  return {
    url: `${base}/bot{token}`,
    get botToken() {
      return botToken;
    },
    chatId,
    blockedChatId,
    requests,
    sent: (chat) => messages.filter((entry) => chat === undefined || entry.chat_id === chat),
    webhook: () => hook,
    revoke() {
      botToken = '7123456789:AAGrevokedrevokedrevokedrevoked0000';
    },
    fail: (method, failure) => failures.add(method, failure),
    close: () => app.close(),
  };
}
