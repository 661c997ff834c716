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

export const EditMessageInput = z.strictObject({
  chatId: ChatId,
  messageId: z.number().int().describe('The bot’s message to change (messageId from sendMessage).'),
  text: z.string().min(1).max(4096).describe('The new text.'),
  parseMode: ParseMode,
  buttons: InlineKeyboard,
});

export const editMessage = rest.action({
  key: 'editMessage',
  title: 'Edit a Telegram message',
  description:
    'Replace the text (and buttons) of a message the bot sent, e.g. to show a status that changed.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Telegram chat', withValue.chatId, { message: withValue.messageId }),
  input: EditMessageInput,
  output: SentMessage,
  http: {
    method: 'POST',
    path: '/editMessageText',
    json: (input) => ({
      chat_id: input.chatId,
      message_id: input.messageId,
      text: input.text,
      parse_mode: input.parseMode,
      reply_markup: replyMarkup(input.buttons),
    }),
  },
  project: (response) => toSentMessage(resultOf(response, z.unknown())),
});
