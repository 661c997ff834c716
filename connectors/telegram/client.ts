import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { urlTokenStyle } from '../sdk/auth/url-styles.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { RestApi, RestResponse } from '../sdk/rest/index.ts';

/** The Bot API; `{token}` is filled with the bot token only when a request is sent. */
export const TELEGRAM_API_URL = 'https://api.telegram.org/bot{token}';

export const TelegramCredential = z.strictObject({
  botToken: z
    .string()
    .regex(/^\d{5,16}:[A-Za-z0-9_-]{30,64}$/, 'a bot token from @BotFather, like 123456789:AAE…')
    .describe('The bot token @BotFather gave (`/newbot`, or `/token` for an existing bot).'),
});
export type TelegramCredential = z.infer<typeof TelegramCredential>;

const TelegramError = z.object({
  ok: z.literal(false),
  error_code: z.number().int().optional(),
  description: z.string().optional(),
  parameters: z
    .object({ retry_after: z.number().optional(), migrate_to_chat_id: z.number().optional() })
    .optional(),
});

/** Telegram's answer is `{ ok, result }` or `{ ok: false, error_code, description, parameters }`. */
export const telegramApi: RestApi<TelegramCredential> = {
  connector: 'telegram',
  baseUrl: TELEGRAM_API_URL,
  auth: (credential) => bindAuth(urlTokenStyle, { token: credential.botToken }),
  vendorError(body) {
    const parsed = TelegramError.safeParse(body);
    if (!parsed.success) return undefined;
    const { description = 'Telegram refused the request', parameters } = parsed.data;
    const migrated = parameters?.migrate_to_chat_id;
    return {
      message: description,
      ...(parameters?.retry_after === undefined ? {} : { retryAfterMs: parameters.retry_after * 1000 }),
      ...(migrated === undefined
        ? /chat not found/i.test(description)
          ? {
              hint: 'Check chatId: the bot must be in the group, or the person must have started a chat with the bot first.',
            }
          : /bot was blocked/i.test(description)
            ? { hint: 'The person blocked the bot; nothing reaches them until they unblock it.' }
            : {}
        : { hint: `The group became a supergroup: use chatId ${migrated}.` }),
    };
  },
  hints: {
    401: 'The bot token was revoked (@BotFather → /revoke) or is wrong: store the current one with `vmesh credentials set NAME --type telegram`.',
    403: 'The bot may not write here: it was removed from the group or blocked by the person.',
  },
};

/** The `result` of a successful answer, parsed with `schema`. */
export function resultOf<T extends z.ZodType>(response: RestResponse, schema: T): z.output<T> {
  const envelope = z.object({ ok: z.literal(true), result: z.unknown() }).safeParse(response.body);
  const parsed = envelope.success ? schema.safeParse(envelope.data.result) : envelope;
  if (!parsed.success) {
    throw new ConnectorError({
      code: 'E_UPSTREAM',
      message: `telegram: the answer is not a Bot API result (${parsed.error.issues[0]?.message ?? 'unexpected shape'}).`,
      retryable: false,
      hint: 'Check the telegram base URL: it must be the Bot API.',
    });
  }
  return parsed.data as z.output<T>;
}

export const ChatId = z
  .union([
    z.number().int(),
    z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/, 'a chat id or @channelname'),
  ])
  .describe('The chat: its numeric id (from the trigger: `{{ trigger.chatId }}`) or "@channelname".');

export const ParseMode = z
  .enum(['MarkdownV2', 'HTML'])
  .optional()
  .describe('Formatting of the text: "HTML" (<b>, <i>, <a href>) or "MarkdownV2"; plain text when unset.');

export const InlineKeyboard = z
  .array(
    z
      .array(
        z.strictObject({
          text: z.string().min(1).max(64).describe('Button label.'),
          callbackData: z
            .string()
            .min(1)
            .max(64)
            .optional()
            .describe('Data sent back when it is pressed (1–64 bytes).'),
          url: z.url().optional().describe('Or: a link the button opens.'),
        }),
      )
      .max(8),
  )
  .max(10)
  .optional()
  .describe('Buttons under the message, as rows of buttons (callbackData or url each).');

export function replyMarkup(keyboard: z.infer<typeof InlineKeyboard>) {
  if (!keyboard) return undefined;
  return {
    inline_keyboard: keyboard.map((row) =>
      row.map((button) => ({
        text: button.text,
        ...(button.callbackData ? { callback_data: button.callbackData } : {}),
        ...(button.url ? { url: button.url } : {}),
      })),
    ),
  };
}

const RawMessage = z.object({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: z.object({ id: z.number().int(), type: z.string() }).loose(),
  text: z.string().optional(),
  caption: z.string().optional(),
});

export const SentMessage = z.object({
  messageId: z.number().int().describe('Id of the message in its chat.'),
  chatId: z.number().int().describe('Numeric id of the chat.'),
  date: z.string().describe('When it was sent (ISO).'),
});

export function toSentMessage(raw: unknown): z.infer<typeof SentMessage> {
  const message = RawMessage.parse(raw);
  return {
    messageId: message.message_id,
    chatId: message.chat.id,
    date: new Date(message.date * 1000).toISOString(),
  };
}
