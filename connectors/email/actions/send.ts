import { createHash } from 'node:crypto';
import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { toEmailError } from '../client.ts';
import { action } from '../kit.ts';
import { OutgoingAttachments, openAttachments } from '../outgoing-attachments.ts';

const Addresses = z.union([z.string().min(3), z.array(z.string().min(3)).min(1)]);

export const SendInput = z
  .strictObject({
    to: Addresses.describe(
      'Recipient address, or a list of them: "ana@example.com" or "Ana <ana@example.com>".',
    ),
    cc: Addresses.optional().describe('Carbon-copy recipients (visible to everyone).'),
    bcc: Addresses.optional().describe('Blind-copy recipients (not shown in the message headers).'),
    subject: z.string().min(1).max(998).describe('Subject line.'),
    text: z.string().optional().describe('Plain-text body. Give text, html or both.'),
    html: z.string().optional().describe('HTML body. Give text, html or both.'),
    replyTo: z.string().min(3).optional().describe('Where replies go, when not to the sender.'),
    from: z.string().min(3).optional().describe('Sender; defaults to the credential’s `from`.'),
    attachments: OutgoingAttachments.optional(),
  })
  .refine((value) => value.text !== undefined || value.html !== undefined, {
    message: 'give `text`, `html` or both',
    path: ['text'],
  });
export type SendInput = z.infer<typeof SendInput>;

export const SendOutput = z.strictObject({
  messageId: z.string().describe('The Message-ID header of the sent message.'),
  accepted: z.array(z.string()).describe('Recipients the SMTP server accepted.'),
  rejected: z.array(z.string()).describe('Recipients the SMTP server refused (the rest were still sent).'),
  response: z.string().describe('The SMTP server’s final reply.'),
});

const toAddressList = (value: unknown): string[] =>
  (Array.isArray(value) ? value : []).map((entry) =>
    typeof entry === 'string' ? entry : String((entry as { address?: unknown }).address ?? entry),
  );

export const send = action({
  key: 'send',
  title: 'Send an email',
  description:
    'Send one email over SMTP (to, cc, bcc, subject, text and/or HTML body, reply-to, file attachments from ' +
    'earlier steps). Writes: a retry after an ' +
    'ambiguous failure may deliver twice; the Message-ID is the same on every retry so mail clients can collapse duplicates.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('email to', withValue.to, { cc: withValue.cc, bcc: withValue.bcc }),
  input: SendInput,
  output: SendOutput,
  async run(input, ctx) {
    const digest = createHash('sha256').update(ctx.idempotencyKey).digest('hex').slice(0, 32);
    const attachments = await openAttachments(ctx.files, input.attachments);
    try {
      const info = await ctx.client.transporter.sendMail({
        from: input.from ?? ctx.client.from,
        to: input.to,
        cc: input.cc,
        bcc: input.bcc,
        subject: input.subject,
        text: input.text,
        html: input.html,
        replyTo: input.replyTo,
        ...(attachments.length > 0 ? { attachments } : {}),
        messageId: `<${digest}@vmesh.invalid>`,
      });
      return {
        messageId: info.messageId,
        accepted: toAddressList(info.accepted),
        rejected: toAddressList(info.rejected),
        response: String(info.response ?? ''),
      };
    } catch (error) {
      throw toEmailError(error);
    } finally {
      for (const attachment of attachments) attachment.content.destroy();
      ctx.client.transporter.close();
    }
  },
});
