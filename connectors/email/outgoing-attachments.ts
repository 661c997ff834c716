import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { ConnectorError } from '../sdk/connector-error.ts';
import { type FilePort, FileRef } from '../sdk/files.ts';

/** Most files one email.send attaches. */
export const MAX_SEND_ATTACHMENTS = 20;
/** Most bytes of all attachments of one message (before base64): what most providers accept (Gmail, M365: 25 MB). */
export const MAX_SEND_ATTACHMENT_BYTES = 25 * 1024 * 1024;

export const OutgoingAttachment = z.strictObject({
  file: FileRef.describe('The file to attach, from a step output (e.g. `{{ steps.download.output.file }}`).'),
  name: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('File name the recipient sees (default: the file’s own name).'),
});
export type OutgoingAttachment = z.infer<typeof OutgoingAttachment>;

export const OutgoingAttachments = z
  .array(OutgoingAttachment)
  .max(MAX_SEND_ATTACHMENTS)
  .describe(
    `Files to attach (at most ${MAX_SEND_ATTACHMENTS}, ${MAX_SEND_ATTACHMENT_BYTES / 1024 / 1024} MiB in all): file references ` +
      'from step outputs, each as `{ file, name? }`, e.g. [{ "file": "{{ steps.download.output.file }}" }]; to ' +
      'forward the files of a received email: "{{ [trigger.attachments[file].{ \'file\': file }] }}".',
  );

/** What nodemailer attaches: the bytes streamed from the run's file store while the message is written. */
export type MailAttachment = { filename: string; contentType: string; content: Readable };

function tooLarge(total: number): ConnectorError {
  return new ConnectorError({
    code: 'E_ATTACHMENTS_TOO_LARGE',
    message: `email.send: the attachments add up to ${total} bytes, over the limit of ${MAX_SEND_ATTACHMENT_BYTES} bytes (25 MiB) per message; nothing was sent.`,
    retryable: false,
    hint: 'Send fewer or smaller files (one message each, or compressed), or upload them somewhere and send a link.',
    details: { totalBytes: total, limitBytes: MAX_SEND_ATTACHMENT_BYTES },
  });
}

/**
 * Opens every attachment in the run's files. The sizes are the store's (a reference in the input is only a
 * claim), checked against the per-message cap before anything is sent; the bytes are read only as the message is
 * written to the SMTP connection.
 */
export async function openAttachments(
  files: FilePort,
  entries: readonly OutgoingAttachment[] | undefined,
): Promise<MailAttachment[]> {
  if (!entries || entries.length === 0) return [];
  const opened: { stream: ReadableStream<Uint8Array>; ref: FileRef; name: string | undefined }[] = [];
  try {
    let total = 0;
    for (const entry of entries) {
      const { ref, stream } = await files.read(entry.file);
      opened.push({ ref, stream, name: entry.name });
      total += ref.size;
      if (total > MAX_SEND_ATTACHMENT_BYTES) throw tooLarge(total);
    }
  } catch (error) {
    await Promise.all(opened.map(({ stream }) => stream.cancel().catch(() => {})));
    throw error;
  }
  return opened.map(({ ref, stream, name }) => ({
    filename: name ?? ref.name,
    contentType: ref.contentType,
    content: Readable.fromWeb(stream as NodeReadableStream<Uint8Array>),
  }));
}
