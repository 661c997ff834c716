import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import {
  ChatId,
  InlineKeyboard,
  ParseMode,
  replyMarkup,
  resultOf,
  SentMessage,
  toSentMessage,
} from '../client.ts';
import { rest } from '../kit.ts';

export const SendMessageInput = z.strictObject({
  chatId: ChatId,
  text: z.string().min(1).max(4096).describe('The message, 1–4096 characters.'),
  parseMode: ParseMode,
  replyToMessageId: z
    .number()
    .int()
    .optional()
    .describe('Answer this message (e.g. `{{ trigger.messageId }}`).'),
  buttons: InlineKeyboard,
  silent: z.boolean().optional().describe('Deliver without a notification sound.'),
});

export const sendMessage = rest.action({
  key: 'sendMessage',
  title: 'Send a Telegram message',
  description:
    'Send a text message from the bot to a Telegram chat, group or channel, optionally as a reply with buttons.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Telegram chat', withValue.chatId),
  input: SendMessageInput,
  output: SentMessage,
  http: {
    method: 'POST',
    path: '/sendMessage',
    json: (input) => ({
      chat_id: input.chatId,
      text: input.text,
      parse_mode: input.parseMode,
      reply_parameters:
        input.replyToMessageId === undefined
          ? undefined
          : { message_id: input.replyToMessageId, allow_sending_without_reply: true },
      reply_markup: replyMarkup(input.buttons),
      disable_notification: input.silent,
    }),
  },
  project: (response) => toSentMessage(resultOf(response, z.unknown())),
});
