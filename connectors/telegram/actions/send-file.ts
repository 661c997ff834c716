import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FileRef } from '../../sdk/files.ts';
import { ChatId, ParseMode, resultOf, SentMessage, toSentMessage } from '../client.ts';
import { rest } from '../kit.ts';

const FileInput = {
  chatId: ChatId,
  file: FileRef,
  caption: z.string().max(1024).optional().describe('Text under the file, 0–1024 characters.'),
  parseMode: ParseMode,
  replyToMessageId: z.number().int().optional().describe('Answer this message.'),
};

const fields = (input: {
  chatId: string | number;
  caption?: string | undefined;
  parseMode?: string | undefined;
  replyToMessageId?: number | undefined;
}) => [
  { name: 'chat_id', value: String(input.chatId) },
  ...(input.caption ? [{ name: 'caption', value: input.caption }] : []),
  ...(input.parseMode ? [{ name: 'parse_mode', value: input.parseMode }] : []),
  ...(input.replyToMessageId === undefined
    ? []
    : [
        {
          name: 'reply_parameters',
          value: JSON.stringify({ message_id: input.replyToMessageId, allow_sending_without_reply: true }),
        },
      ]),
];

export const sendDocument = rest.action({
  key: 'sendDocument',
  title: 'Send a file to Telegram',
  description: 'Send a file from an earlier step (a PDF, CSV, any document up to 50 MB) to a Telegram chat.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Telegram chat', withValue.chatId),
  input: z.strictObject(FileInput),
  output: SentMessage,
  http: {
    method: 'POST',
    path: '/sendDocument',
    multipart: (input) => [...fields(input), { name: 'document', file: input.file }],
  },
  project: (response) => toSentMessage(resultOf(response, z.unknown())),
});

export const sendPhoto = rest.action({
  key: 'sendPhoto',
  title: 'Send a photo to Telegram',
  description:
    'Send an image from an earlier step (JPEG, PNG, WebP up to 10 MB) to a Telegram chat as a photo.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Telegram chat', withValue.chatId),
  input: z.strictObject(FileInput),
  output: SentMessage,
  http: {
    method: 'POST',
    path: '/sendPhoto',
    multipart: (input) => [...fields(input), { name: 'photo', file: input.file }],
  },
  project: (response) => toSentMessage(resultOf(response, z.unknown())),
});
