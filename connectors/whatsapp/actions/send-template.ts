import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { envelope, Recipient, SentMessage, toSentMessage } from '../client.ts';
import { rest } from '../kit.ts';

const Parameters = z.array(z.string().min(1).max(1024)).max(20);

export const sendTemplate = rest.action({
  key: 'sendTemplate',
  title: 'Send a WhatsApp template message',
  description:
    'Send an approved message template (order updates, reminders, first contact) to a WhatsApp number, filling its {{1}}, {{2}} placeholders; works outside the 24-hour window.',
  effect: 'write',
  // The Cloud API takes no idempotency key: a retry after a lost answer may send the template twice.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the WhatsApp number', withValue.to, { template: withValue.templateName }),
  input: z.strictObject({
    to: Recipient,
    templateName: z
      .string()
      .regex(/^[a-z0-9_]{1,512}$/, 'a template name: lower case, digits and _')
      .describe('The approved template’s name in WhatsApp Manager, e.g. "order_shipped".'),
    languageCode: z
      .string()
      .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code such as en_US or de')
      .default('en_US')
      .describe('The template language it was approved in, e.g. "en_US" (default) or "de".'),
    bodyParameters: Parameters.optional().describe(
      'Values for the body’s {{1}}, {{2}}, … in order, e.g. ["Ana", "1042"].',
    ),
    headerParameters: Parameters.optional().describe(
      'Values for a text header’s placeholders, e.g. ["1042"].',
    ),
  }),
  output: SentMessage,
  http: {
    method: 'POST',
    path: '/messages',
    json: (input) => {
      const text = (values: readonly string[]) => values.map((value) => ({ type: 'text', text: value }));
      const components = [
        ...(input.headerParameters?.length
          ? [{ type: 'header', parameters: text(input.headerParameters) }]
          : []),
        ...(input.bodyParameters?.length ? [{ type: 'body', parameters: text(input.bodyParameters) }] : []),
      ];
      return {
        ...envelope(input.to, undefined),
        type: 'template',
        template: {
          name: input.templateName,
          language: { code: input.languageCode },
          ...(components.length > 0 ? { components } : {}),
        },
      };
    },
  },
  project: (response) => toSentMessage(response),
});
