import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { defineTrigger, type WebhookDelivery, type WebhookSubscription } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { resultOf, type TelegramCredential } from '../client.ts';

export const MessageFilters = z.strictObject({
  chatIds: z
    .array(z.union([z.number().int(), z.string().min(1)]))
    .max(100)
    .optional()
    .describe('Only these chats (numeric ids). Default: every chat the bot is in.'),
  commands: z
    .array(z.string().regex(/^\/[A-Za-z0-9_]{1,32}$/, 'a bot command such as "/start"'))
    .max(50)
    .optional()
    .describe('Only messages that start with one of these commands, e.g. ["/order"].'),
  buttonPresses: z
    .boolean()
    .default(true)
    .describe('Also start on presses of the bot’s inline buttons (kind "callback"). Default true.'),
});
export type MessageFilters = z.infer<typeof MessageFilters>;

export const MessageData = z.object({
  updateId: z.number().int().describe('Telegram’s id of this update.'),
  kind: z.enum(['message', 'callback']).describe('"message" for a message, "callback" for a button press.'),
  chatId: z.number().int().describe('The chat to answer in (give it to telegram.sendMessage).'),
  chatType: z.string().describe('private, group, supergroup or channel.'),
  messageId: z.number().int().describe('The message (for a button press: the message the button is on).'),
  text: z.string().describe('The message text or caption; for a button press, its callback data.'),
  from: z
    .object({
      id: z.number().int().describe('Sender’s user id.'),
      username: z.string().nullable().describe('Sender’s @username without the @, or null.'),
      firstName: z.string().describe('Sender’s first name.'),
      languageCode: z.string().nullable().describe('Sender’s app language, e.g. "de".'),
    })
    .describe('Who sent it.'),
  date: z.string().describe('When it was sent (ISO).'),
  callbackQueryId: z
    .string()
    .nullable()
    .describe('For a button press: the id telegram.answerCallback needs.'),
  fileId: z
    .string()
    .nullable()
    .describe('Telegram’s file id of an attached document or the largest photo size.'),
});
export type MessageData = z.infer<typeof MessageData>;

const User = z.object({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: z.string(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});
const Message = z.object({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: z.object({ id: z.number().int(), type: z.string() }).loose(),
  from: User.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  document: z.object({ file_id: z.string() }).loose().optional(),
  photo: z.array(z.object({ file_id: z.string() }).loose()).optional(),
});
const Update = z.object({
  update_id: z.number().int(),
  message: Message.optional(),
  callback_query: z
    .object({ id: z.string(), from: User, message: Message.optional(), data: z.string().optional() })
    .optional(),
});

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

function headerOf(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function fromOf(user: z.infer<typeof User>): MessageData['from'] {
  return {
    id: user.id,
    username: user.username ?? null,
    firstName: user.first_name,
    languageCode: user.language_code ?? null,
  };
}

/** Trigger data from one Telegram Update; undefined for updates this trigger does not start on (an edit, a bot). */
export function parseTelegramUpdate(body: unknown): MessageData | undefined {
  const update = Update.safeParse(body);
  if (!update.success) return undefined;
  const { message, callback_query: press } = update.data;
  if (message?.from && !message.from.is_bot) {
    return {
      updateId: update.data.update_id,
      kind: 'message',
      chatId: message.chat.id,
      chatType: message.chat.type,
      messageId: message.message_id,
      text: message.text ?? message.caption ?? '',
      from: fromOf(message.from),
      date: new Date(message.date * 1000).toISOString(),
      callbackQueryId: null,
      fileId: message.document?.file_id ?? message.photo?.at(-1)?.file_id ?? null,
    };
  }
  if (press?.message && !press.from.is_bot) {
    return {
      updateId: update.data.update_id,
      kind: 'callback',
      chatId: press.message.chat.id,
      chatType: press.message.chat.type,
      messageId: press.message.message_id,
      text: press.data ?? '',
      from: fromOf(press.from),
      date: new Date(press.message.date * 1000).toISOString(),
      callbackQueryId: press.id,
      fileId: null,
    };
  }
  return undefined;
}

/**
 * The bot's one webhook (`setWebhook` with our secret as `secret_token`, which Telegram sends back in a header).
 * Telegram keeps one webhook per bot: setting it again replaces it, so a retried `create` is harmless.
 */
const webhookSubscription: WebhookSubscription<MessageFilters, TelegramCredential, RestClient> = {
  target: () => null,
  async create(ctx, _filters, hook) {
    const answer = await ctx.client.send(
      {
        method: 'POST',
        path: '/setWebhook',
        json: { url: hook.url, secret_token: hook.secret, allowed_updates: ['message', 'callback_query'] },
      },
      ctx.signal,
    );
    resultOf(answer, z.literal(true));
    return { id: 'webhook' };
  },
  async delete(ctx) {
    const answer = await ctx.client.send({ method: 'POST', path: '/deleteWebhook', json: {} }, ctx.signal);
    resultOf(answer, z.literal(true));
  },
};

export const message = defineTrigger({
  key: 'message',
  title: 'Telegram message to the bot',
  description:
    'Starts the workflow for each message to the Telegram bot (and presses of its buttons); registers the bot’s webhook itself, checked by Telegram’s secret-token header.',
  kind: 'webhook',
  with: MessageFilters,
  data: MessageData,
  sample: {
    updateId: 10000,
    kind: 'message',
    chatId: 1111111,
    chatType: 'private',
    messageId: 1365,
    text: 'Where is my order 1042?',
    from: { id: 1111111, username: 'ana', firstName: 'Ana', languageCode: 'en' },
    date: '2026-12-04T09:30:00.000Z',
    callbackQueryId: null,
    fileId: null,
  } satisfies MessageData,
  verify: (delivery, secret) => sameSecret(headerOf(delivery, SECRET_HEADER), secret),
  deliveryId(delivery) {
    const id = z.object({ update_id: z.number().int() }).safeParse(delivery.body);
    return id.success ? `telegram-${id.data.update_id}` : undefined;
  },
  parse: (delivery) => parseTelegramUpdate(delivery.body),
  subscription: webhookSubscription,
  matches(filters, data) {
    const parsed = MessageData.safeParse(data);
    if (!parsed.success) return false;
    const { kind, chatId, text } = parsed.data;
    if (kind === 'callback' && !filters.buttonPresses) return false;
    if (filters.chatIds && !filters.chatIds.some((id) => String(id) === String(chatId))) return false;
    if (filters.commands && kind === 'message') {
      const command = /^\/[A-Za-z0-9_]+/.exec(text)?.[0];
      if (!command || !filters.commands.includes(command)) return false;
    }
    return true;
  },
});
