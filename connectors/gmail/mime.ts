import { createHash, randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { z } from 'zod';
import { OutgoingAttachments, openAttachments } from '../email/outgoing-attachments.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { FilePort } from '../sdk/files.ts';
import type { RestRequest } from '../sdk/rest/index.ts';

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
 * The RFC 2822 message (nodemailer's MailComposer, files streamed from the run's store, no file or URL access).
 * Bcc stays in the headers: Gmail reads it and strips it before delivery.
 */
export async function composeMessage(
  input: ComposeInput,
  files: FilePort,
  messageId: string,
): Promise<Buffer> {
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
    return await node.build();
  } finally {
    for (const attachment of attachments) attachment.content.destroy();
  }
}

/** Up to this size a message goes as base64url `raw` in a JSON body; larger ones as a media upload (35 MB cap). */
export const MAX_JSON_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Gmail's documented ceiling for one message, attachments included. */
export const MAX_MESSAGE_BYTES = 35 * 1024 * 1024;

/**
 * users.messages.send or users.drafts.create for a built message: JSON `{ raw }` for a small one, else Gmail's
 * multipart upload (`/upload/gmail/v1/…?uploadType=multipart`: the JSON metadata, then the message/rfc822 bytes).
 */
export function messageRequest(
  target: 'send' | 'draft',
  message: Buffer,
  threadId: string | undefined,
): RestRequest {
  if (message.length > MAX_MESSAGE_BYTES) {
    throw new ConnectorError({
      code: 'E_ATTACHMENTS_TOO_LARGE',
      message: `gmail: the message is ${message.length} bytes once encoded; Gmail takes at most ${MAX_MESSAGE_BYTES} bytes (35 MB) per message. Nothing was sent.`,
      retryable: false,
      hint: 'Send fewer or smaller files (attachments grow by a third when encoded), or share a Google Drive link instead.',
      details: { messageBytes: message.length, limitBytes: MAX_MESSAGE_BYTES },
    });
  }
  const thread = threadId ? { threadId } : {};
  const path = target === 'send' ? 'users/me/messages/send' : 'users/me/drafts';
  if (message.length <= MAX_JSON_MESSAGE_BYTES) {
    const raw = message.toString('base64url');
    return {
      method: 'POST',
      path: `/${path}`,
      json: target === 'send' ? { raw, ...thread } : { message: { raw, ...thread } },
    };
  }
  const boundary = `vmesh_${randomBytes(12).toString('hex')}`;
  const metadata = JSON.stringify(target === 'send' ? thread : { message: thread });
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${metadata}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n`),
    message,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return {
    method: 'POST',
    // From the API root (…/gmail/v1/) up to the host's /upload/gmail/v1/.
    path: `../../upload/gmail/v1/${path}`,
    query: { uploadType: 'multipart' },
    stream: {
      stream: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(body));
          controller.close();
        },
      }),
      length: body.length,
      contentType: `multipart/related; boundary=${boundary}`,
    },
  };
}
