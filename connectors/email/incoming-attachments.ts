import type { ImapFlow } from 'imapflow';
import { z } from 'zod';
import { AppError } from '../../lib/index.ts';
import { type FilePort, FileRef } from '../sdk/files.ts';

/** Default and largest `maxAttachments`: files stored per message. */
export const DEFAULT_MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENTS_STORED = 50;
/** Default and largest `maxAttachmentBytes`: bytes of one stored attachment (decoded). */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
export const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024;
/**
 * Most attachment bytes one poll stores: past it the poll lists no further messages (the next poll goes on from
 * there), so one poll stays within its time limit.
 */
export const MAX_POLL_ATTACHMENT_BYTES = 100 * 1024 * 1024;

export const SkippedAttachment = z
  .object({
    code: z
      .enum(['E_ATTACHMENT_TOO_LARGE', 'E_ATTACHMENT_COUNT', 'E_ATTACHMENTS_OFF', 'E_ATTACHMENT_NOT_STORED'])
      .describe(
        'Why: over maxAttachmentBytes (or the server’s file limit), past maxAttachments, `attachments: false`, or ' +
          'listed by a poll that starts no run.',
      ),
    reason: z.string().describe('The same in words, with the limit.'),
  })
  .describe('Why this attachment was not stored (null when it was).');
export type SkippedAttachment = z.infer<typeof SkippedAttachment>;

export const EmailAttachment = z.object({
  filename: z.string().nullable().describe('File name the sender gave, or null.'),
  contentType: z.string().describe('MIME type, e.g. application/pdf.'),
  size: z.number().int().describe('Bytes as the server stores it (base64 adds about a third).'),
  file: FileRef.nullable().describe(
    'The attachment stored as a file of the run (pass it to file.extract, email.send, http.request…), or null when skipped.',
  ),
  skipped: SkippedAttachment.nullable(),
});
export type EmailAttachment = z.infer<typeof EmailAttachment>;

/** An attachment as the BODYSTRUCTURE lists it, with what is needed to download it. */
export type AttachmentPart = {
  filename: string | null;
  contentType: string;
  size: number;
  part: string;
  encoding: string;
};

export type AttachmentLimits = { store: boolean; maxAttachments: number; maxAttachmentBytes: number };

/** The decoded size a part will have, from its size on the server (base64: 3 bytes per 4 characters). */
function decodedEstimate(part: AttachmentPart): number {
  return part.encoding.toLowerCase() === 'base64' ? Math.floor((part.size * 3) / 4) : part.size;
}

const skip = (code: SkippedAttachment['code'], reason: string): SkippedAttachment => ({ code, reason });

function tooLarge(limit: number): SkippedAttachment {
  return skip(
    'E_ATTACHMENT_TOO_LARGE',
    `larger than maxAttachmentBytes (${limit} bytes): not stored; raise trigger.with.maxAttachmentBytes to keep it`,
  );
}

/** Name of a file without one: its position, and an extension for the usual types. */
function fallbackName(part: AttachmentPart, index: number): string {
  const extension: Record<string, string> = {
    'application/pdf': '.pdf',
    'message/rfc822': '.eml',
    'image/png': '.png',
    'image/jpeg': '.jpg',
    'text/plain': '.txt',
    'text/csv': '.csv',
  };
  return `attachment-${index + 1}${extension[part.contentType] ?? ''}`;
}

class OverCap extends Error {}

/** Streams one part (transfer encoding removed, text not re-encoded) into the port, stopping past `limit`. */
async function storePart(
  client: ImapFlow,
  uid: number,
  part: AttachmentPart,
  index: number,
  files: FilePort,
  limit: number,
): Promise<FileRef | SkippedAttachment> {
  const download = await client.download(String(uid), part.part, { uid: true, decodeText: false });
  if (!download.content) return skip('E_ATTACHMENT_NOT_STORED', 'the server did not return this part');
  const content = download.content;
  async function* limited(): AsyncGenerator<Uint8Array> {
    let seen = 0;
    for await (const chunk of content) {
      const bytes = chunk as Uint8Array;
      seen += bytes.byteLength;
      // Leaving the loop destroys the download stream: imapflow fetches no further chunks of it.
      if (seen > limit) throw new OverCap();
      yield bytes;
    }
  }
  try {
    return await files.write(
      { name: part.filename ?? fallbackName(part, index), contentType: part.contentType },
      limited(),
    );
  } catch (error) {
    if (error instanceof OverCap) return tooLarge(limit);
    if (error instanceof AppError && error.code === 'E_FILE_TOO_LARGE')
      return skip('E_ATTACHMENT_TOO_LARGE', `${error.message} ${error.hint ?? ''}`.trim());
    throw error;
  } finally {
    content.destroy();
  }
}

/**
 * The attachments of one message as trigger data: each stored as a file of the run the message starts (one at a
 * time: imapflow runs one command per connection), or listed with why it was not. Returns the bytes stored.
 */
export async function storeAttachments(
  client: ImapFlow,
  uid: number,
  parts: readonly AttachmentPart[],
  files: FilePort | undefined,
  limits: AttachmentLimits,
): Promise<{ attachments: EmailAttachment[]; storedBytes: number }> {
  const attachments: EmailAttachment[] = [];
  let storedBytes = 0;
  for (const [index, part] of parts.entries()) {
    const listed = { filename: part.filename, contentType: part.contentType, size: part.size };
    let outcome: FileRef | SkippedAttachment;
    if (!limits.store) {
      outcome = skip('E_ATTACHMENTS_OFF', 'trigger.with.attachments is false: listed, not downloaded');
    } else if (!files) {
      outcome = skip(
        'E_ATTACHMENT_NOT_STORED',
        'listed by a poll that starts no run (the first one after activation)',
      );
    } else if (index >= limits.maxAttachments) {
      outcome = skip(
        'E_ATTACHMENT_COUNT',
        `past the first ${limits.maxAttachments} attachments (maxAttachments): not stored`,
      );
    } else if (decodedEstimate(part) > limits.maxAttachmentBytes) {
      outcome = tooLarge(limits.maxAttachmentBytes);
    } else {
      outcome = await storePart(client, uid, part, index, files, limits.maxAttachmentBytes);
    }
    if ('sha256' in outcome) {
      storedBytes += outcome.size;
      attachments.push({ ...listed, file: outcome, skipped: null });
    } else {
      attachments.push({ ...listed, file: null, skipped: outcome });
    }
  }
  return { attachments, storedBytes };
}
