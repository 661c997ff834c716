import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { envelope, Recipient, ReplyTo, SentMessage, toSentMessage } from '../client.ts';
import { rest } from '../kit.ts';

export const sendText = rest.action({
  key: 'sendText',
  title: 'Send a WhatsApp text message',
  description:
    'Send a free-form text message from your WhatsApp Business number (Cloud API). Only within 24 hours of the person’s last message; otherwise send a template.',
  effect: 'write',
  // The Cloud API takes no idempotency key: a retry after a lost answer may send the text twice.
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the WhatsApp number', withValue.to),
  input: z.strictObject({
    to: Recipient,
    text: z
      .string()
      .min(1)
      .max(4096)
      .describe(
        'The message, up to 4096 characters (*bold*, _italic_ work), e.g. "Your order 1042 has shipped."',
      ),
    previewUrl: z
      .boolean()
      .default(false)
      .describe('Show a preview of the first link in the text (default false).'),
    replyTo: ReplyTo,
  }),
  output: SentMessage,
  http: {
    method: 'POST',
    path: '/messages',
    json: (input) => ({
      ...envelope(input.to, input.replyTo),
      type: 'text',
      text: { body: input.text, preview_url: input.previewUrl },
    }),
  },
  project: (response) => toSentMessage(response),
});
