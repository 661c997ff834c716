import { compile } from 'html-to-text';
import type { FetchMessageObject, ImapFlow, MessageAddressObject, MessageStructureObject } from 'imapflow';
import { z } from 'zod';
import type { FilePort } from '../sdk/files.ts';
import {
  type AttachmentLimits,
  type AttachmentPart,
  EmailAttachment,
  storeAttachments,
} from './incoming-attachments.ts';

/** Most bytes of each of the text and HTML bodies a run gets (the rest is cut, `truncated` says so). */
export const MAX_BODY_BYTES = 64 * 1024;
const MAX_ADDRESSES = 50;
const MAX_ATTACHMENTS = 50;
const MAX_FLAGS = 20;
/** RFC 5322's line limit, also the longest subject or Message-ID kept. */
const MAX_HEADER_CHARS = 998;
const MAX_ADDRESS_CHARS = 320;
const MAX_FILENAME_CHARS = 255;
const MAX_DEPTH = 16;

export const EmailAddress = z.object({
  name: z.string().describe('Display name ("" when none).'),
  address: z.string().describe('Email address.'),
});
export type EmailAddress = z.infer<typeof EmailAddress>;

export const ReceivedEmail = z.object({
  id: z.string().describe('"<uidvalidity>:<uid>": unique within the mailbox.'),
  uid: z.number().int().describe('IMAP UID of the message in its mailbox.'),
  mailbox: z.string().describe('The mailbox it arrived in, e.g. INBOX.'),
  messageId: z.string().nullable().describe('Message-ID header, e.g. "<abc@example.com>".'),
  from: z.array(EmailAddress),
  to: z.array(EmailAddress),
  cc: z.array(EmailAddress),
  replyTo: z.array(EmailAddress),
  subject: z.string(),
  date: z.string().nullable().describe('Date header (else the arrival time), ISO 8601.'),
  text: z.string().describe('The plain-text body; for a message with only HTML, that HTML as text.'),
  html: z.string().nullable().describe('The HTML body, or null. Untrusted: never render it unescaped.'),
  truncated: z.boolean().describe(`Whether text or html was cut at ${MAX_BODY_BYTES} bytes.`),
  size: z.number().int().describe('Size of the whole message in bytes.'),
  flags: z.array(z.string()).describe('IMAP flags when it was read, e.g. ["\\\\Seen"].'),
  attachments: z
    .array(EmailAttachment)
    .describe(
      'The attachments in message order: each with `file`, a file of the run (unless `attachments: false` or over a ' +
        'cap: then `file` is null and `skipped` says why).',
    ),
});
export type ReceivedEmail = z.infer<typeof ReceivedEmail>;

const htmlAsText = compile({ wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] });

/** Text from a message is the sender's: NUL cannot be stored (Postgres jsonb) and lengths are bounded. */
function clean(value: string | undefined | null, max: number): string {
  return (value ?? '').replaceAll('\u0000', '').slice(0, max);
}

function toAddresses(list: MessageAddressObject[] | undefined): EmailAddress[] {
  return (list ?? []).slice(0, MAX_ADDRESSES).map((entry) => ({
    name: clean(entry.name, MAX_ADDRESS_CHARS),
    address: clean(entry.address, MAX_ADDRESS_CHARS),
  }));
}

function toIsoDate(...candidates: (Date | string | undefined)[]): string | null {
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const date = new Date(candidate);
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  return null;
}

type BodyParts = {
  text: string | undefined;
  html: string | undefined;
  attachments: AttachmentPart[];
};

/**
 * Which parts are the bodies (the first inline text/plain and text/html without a file name) and which are files,
 * from the BODYSTRUCTURE alone: nothing is downloaded to list attachments. A forwarded message (message/rfc822)
 * counts as one file.
 */
export function readStructure(root: MessageStructureObject | undefined): BodyParts {
  const parts: BodyParts = { text: undefined, html: undefined, attachments: [] };
  const visit = (node: MessageStructureObject, depth: number): void => {
    const type = node.type.toLowerCase();
    if (type.startsWith('multipart/')) {
      if (depth < MAX_DEPTH) for (const child of node.childNodes ?? []) visit(child, depth + 1);
      return;
    }
    // A single-part message has no part number: its body is part 1.
    const part = node.part ?? '1';
    const filename = node.dispositionParameters?.filename ?? node.parameters?.name;
    const body = node.disposition?.toLowerCase() !== 'attachment' && !filename;
    if (body && type === 'text/plain') {
      parts.text ??= part;
      return;
    }
    if (body && type === 'text/html') {
      parts.html ??= part;
      return;
    }
    if (body && type.startsWith('text/')) return;
    if (parts.attachments.length < MAX_ATTACHMENTS) {
      parts.attachments.push({
        filename: filename === undefined ? null : clean(filename, MAX_FILENAME_CHARS),
        contentType: clean(type, MAX_FILENAME_CHARS),
        size: node.size ?? 0,
        part,
        encoding: node.encoding ?? '7bit',
      });
    }
  };
  if (root) visit(root, 0);
  return parts;
}

/** One body part, decoded to UTF-8 by imapflow, cut at MAX_BODY_BYTES (only that much crosses the wire). */
async function readPart(
  client: ImapFlow,
  uid: number,
  part: string,
): Promise<{ text: string; truncated: boolean }> {
  const download = await client.download(String(uid), part, { uid: true, maxBytes: MAX_BODY_BYTES + 1 });
  if (!download.content) return { text: '', truncated: false };
  const chunks: Buffer[] = [];
  for await (const chunk of download.content) chunks.push(Buffer.from(chunk as Uint8Array));
  const bytes = Buffer.concat(chunks);
  const truncated = bytes.byteLength > MAX_BODY_BYTES;
  let text = bytes.subarray(0, MAX_BODY_BYTES).toString('utf8');
  // A cut in the middle of a character leaves a replacement character at the end.
  if (truncated) text = text.replace(/\uFFFD+$/, '');
  return { text: clean(text, MAX_BODY_BYTES), truncated };
}

/**
 * Trigger data from a message fetched with uid, envelope, bodyStructure, flags, internalDate and size; its
 * attachments stored through `files` (when given) within `limits`. Also returns the attachment bytes stored.
 */
export async function toReceivedEmail(
  client: ImapFlow,
  message: FetchMessageObject,
  context: {
    mailbox: string;
    uidValidity: string;
    files: FilePort | undefined;
    limits: AttachmentLimits;
  },
): Promise<{ email: ReceivedEmail; storedBytes: number }> {
  const envelope = message.envelope ?? {};
  const structure = readStructure(message.bodyStructure);
  const text = structure.text ? await readPart(client, message.uid, structure.text) : undefined;
  const html = structure.html ? await readPart(client, message.uid, structure.html) : undefined;
  const stored = await storeAttachments(
    client,
    message.uid,
    structure.attachments,
    context.files,
    context.limits,
  );
  const email: ReceivedEmail = {
    id: `${context.uidValidity}:${message.uid}`,
    uid: message.uid,
    mailbox: context.mailbox,
    messageId: envelope.messageId ? clean(envelope.messageId, MAX_HEADER_CHARS) : null,
    from: toAddresses(envelope.from),
    to: toAddresses(envelope.to),
    cc: toAddresses(envelope.cc),
    replyTo: toAddresses(envelope.replyTo),
    subject: clean(envelope.subject, MAX_HEADER_CHARS),
    date: toIsoDate(envelope.date, message.internalDate),
    text: text?.text ?? (html ? clean(htmlAsText(html.text), MAX_BODY_BYTES) : ''),
    html: html ? html.text : null,
    truncated: Boolean(text?.truncated || html?.truncated),
    size: message.size ?? 0,
    // \Recent belongs to the session that saw it first, not to the message.
    flags: [...(message.flags ?? [])]
      .filter((flag) => flag !== '\\Recent')
      .slice(0, MAX_FLAGS)
      .map((flag) => clean(flag, MAX_FILENAME_CHARS)),
    attachments: stored.attachments,
  };
  return { email, storedBytes: stored.storedBytes };
}
