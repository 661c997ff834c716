import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { OutlookAttachments, toFileAttachments } from '../attachments.ts';
import { AddressInput, toRecipients } from '../client.ts';
import { action } from '../kit.ts';

export const SendMailInput = z
  .strictObject({
    to: AddressInput.describe(
      'Recipient address, or a list of them: "ana@contoso.com" or "Ana <ana@contoso.com>".',
    ),
    cc: AddressInput.optional().describe('Carbon-copy recipients, e.g. ["team@contoso.com"].'),
    bcc: AddressInput.optional().describe('Blind-copy recipients, e.g. "audit@contoso.com".'),
    subject: z.string().min(1).max(998).describe('Subject line, e.g. "Meeting notes".'),
    text: z
      .string()
      .max(3_000_000)
      .optional()
      .describe('Plain-text body, e.g. "Hi Ana, …". Give text or html.'),
    html: z.string().max(3_000_000).optional().describe('HTML body, e.g. "<p>Hi Ana</p>" (wins over text).'),
    replyTo: AddressInput.optional().describe('Where replies go, e.g. "support@contoso.com".'),
    importance: z
      .enum(['low', 'normal', 'high'])
      .default('normal')
      .describe('Importance flag (default normal).'),
    saveToSentItems: z.boolean().default(true).describe('Keep a copy in Sent Items (default true).'),
    attachments: OutlookAttachments.optional(),
  })
  .refine((value) => value.text !== undefined || value.html !== undefined, {
    message: 'give `text` or `html`',
    path: ['text'],
  });

export const sendMail = action({
  key: 'sendMail',
  title: 'Send an email with Outlook',
  description:
    'Send an email from the connected Outlook / Microsoft 365 mailbox (to, cc, bcc, subject, text or HTML, attachments up to 3 MB). A retry after a lost answer may send twice.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('email from Outlook to', withValue.to, { cc: withValue.cc, bcc: withValue.bcc }),
  input: SendMailInput,
  output: z.object({
    sent: z.literal(true).describe('Always true: Graph accepted the message (202).'),
    recipients: z.number().int().describe('How many recipients it was addressed to (to, cc and bcc).'),
  }),
  async run(input, ctx) {
    const toRecipientsList = toRecipients(input.to, 'to');
    const ccRecipients = toRecipients(input.cc, 'cc');
    const bccRecipients = toRecipients(input.bcc, 'bcc');
    const replyTo = toRecipients(input.replyTo, 'replyTo');
    const attachments = await toFileAttachments(ctx.files, input.attachments);
    await ctx.client.send(
      {
        method: 'POST',
        path: '/me/sendMail',
        json: {
          message: {
            subject: input.subject,
            body:
              input.html !== undefined
                ? { contentType: 'HTML', content: input.html }
                : { contentType: 'Text', content: input.text ?? '' },
            toRecipients: toRecipientsList,
            ...(ccRecipients.length > 0 ? { ccRecipients } : {}),
            ...(bccRecipients.length > 0 ? { bccRecipients } : {}),
            ...(replyTo.length > 0 ? { replyTo } : {}),
            importance: input.importance,
            ...(attachments.length > 0 ? { attachments } : {}),
          },
          saveToSentItems: input.saveToSentItems,
        },
      },
      ctx.signal,
    );
    return {
      sent: true as const,
      recipients: toRecipientsList.length + ccRecipients.length + bccRecipients.length,
    };
  },
});
