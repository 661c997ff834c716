import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { action } from '../kit.ts';
import { composeMessage, MessageFields, messageRequest, stableMessageId } from '../mime.ts';
import { SentMessage, toSentMessage } from './sent-message.ts';

export const SendEmailInput = z
  .strictObject({
    ...MessageFields,
    threadId: z
      .string()
      .regex(/^[0-9a-f]{1,32}$/i)
      .optional()
      .describe('Put it in this existing conversation (a Gmail thread id, e.g. "18c2f0a1b2c3d4e5").'),
  })
  .refine((value) => value.text !== undefined || value.html !== undefined, {
    message: 'give `text`, `html` or both',
    path: ['text'],
  });

export const sendEmail = action({
  key: 'sendEmail',
  title: 'Send an email with Gmail',
  description:
    'Send an email from the connected Gmail account (to, cc, bcc, subject, text and/or HTML, file attachments from earlier steps). It shows in Sent. A retry after a lost answer may send twice.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('email from Gmail to', withValue.to, { cc: withValue.cc, bcc: withValue.bcc }),
  input: SendEmailInput,
  output: SentMessage,
  async run(input, ctx) {
    const message = await composeMessage(input, ctx.files, stableMessageId(ctx.idempotencyKey));
    const response = await ctx.client.send(messageRequest('send', message, input.threadId), ctx.signal);
    return toSentMessage(response.body);
  },
});
