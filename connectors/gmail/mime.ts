import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { z } from 'zod';
import { OutgoingAttachments, openAttachments } from '../email/outgoing-attachments.ts';
import type { FilePort } from '../sdk/files.ts';

const Addresses = z.union([z.string().min(3).max(2000), z.array(z.string().min(3).max(320)).min(1).max(100)]);

/** The fields a new message takes (sendEmail, createDraft). */
export const MessageFields = {
  to: Addresses.describe(
    'Recipient address, or a list of them: "ana@example.com" or "Ana <ana@example.com>".',
  ),
  cc: Addresses.optional().describe('Carbon-copy recipients, e.g. ["team@example.com"].'),
  bcc: Addresses.optional().describe(
    'Blind-copy recipients (hidden from the others), e.g. "audit@example.com".',
  ),
  subject: z.string().min(1).max(998).describe('Subject line, e.g. "Your invoice for May".'),
  text: z
    .string()
    .max(5_000_000)
    .optional()
    .describe('Plain-text body, e.g. "Hi Ana, …". Give text, html or both.'),
  html: z
    .string()
    .max(5_000_000)
    .optional()
    .describe('HTML body, e.g. "<p>Hi Ana</p>". Give text, html or both.'),
  replyTo: z.string().min(3).max(320).optional().describe('Where replies go, e.g. "support@example.com".'),
  from: z
    .string()
    .min(3)
    .max(320)
    .optional()
    .describe(
      'Sender: the account itself by default, or one of its "Send mail as" aliases, e.g. "Sales <sales@example.com>".',
    ),
  attachments: OutgoingAttachments.optional(),
};

export type ComposeInput = {
  to?: string | string[] | undefined;
  cc?: string | string[] | undefined;
  bcc?: string | string[] | undefined;
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  replyTo?: string | undefined;
  from?: string | undefined;
  inReplyTo?: string | undefined;
  references?: string | undefined;
  attachments?: z.output<typeof OutgoingAttachments> | undefined;
};

/** A Message-ID the same on every retry of one step, so mail clients can collapse a duplicate. */
export function stableMessageId(idempotencyKey: string): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@vmesh.invalid>`;
}

/**
 * The RFC 2822 message (nodemailer's MailComposer, files streamed from the run's store, no file or URL access),
 * base64url-encoded as Gmail's `raw`. Bcc stays in the headers: Gmail reads it and strips it before delivery.
 */
export async function composeRaw(input: ComposeInput, files: FilePort, messageId: string): Promise<string> {
  const attachments = await openAttachments(files, input.attachments);
  try {
    const node = new MailComposer({
      from: input.from,
      to: input.to,
      cc: input.cc,
      bcc: input.bcc,
      replyTo: input.replyTo,
      subject: input.subject,
      text: input.text,
      html: input.html,
      inReplyTo: input.inReplyTo,
      references: input.references,
      messageId,
      attachments,
      disableFileAccess: true,
      disableUrlAccess: true,
    }).compile();
    node.keepBcc = true;
    const built = await node.build();
    return built.toString('base64url');
  } finally {
    for (const attachment of attachments) attachment.content.destroy();
  }
}
