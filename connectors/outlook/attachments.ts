import { OutgoingAttachments } from '../email/outgoing-attachments.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { FilePort } from '../sdk/files.ts';

/**
 * Graph takes attachments inline (base64 `contentBytes`) only while the whole request stays under 4 MB: 3 MB of
 * files. Larger files need a draft and an upload session, which this connector does not do: it refuses them.
 */
export const MAX_INLINE_ATTACHMENT_BYTES = 3 * 1024 * 1024;

export const OutlookAttachments = OutgoingAttachments.describe(
  'Files to attach, 3 MB in all: file references from step outputs, each as `{ file, name? }`, e.g. [{ "file": "{{ steps.download.output.file }}" }].',
);

export type FileAttachment = {
  '@odata.type': '#microsoft.graph.fileAttachment';
  name: string;
  contentType: string;
  contentBytes: string;
};

function tooLarge(total: number): ConnectorError {
  return new ConnectorError({
    code: 'E_ATTACHMENTS_TOO_LARGE',
    message: `outlook.sendMail: the attachments add up to ${total} bytes; Microsoft Graph takes at most ${MAX_INLINE_ATTACHMENT_BYTES} bytes (3 MB) inline in one message. Nothing was sent.`,
    retryable: false,
    hint: 'Send smaller or fewer files (compress them), or upload them to OneDrive/SharePoint and send a link.',
    details: { totalBytes: total, limitBytes: MAX_INLINE_ATTACHMENT_BYTES },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > limit) {
      await stream.cancel().catch(() => {});
      throw tooLarge(size);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The files as Graph fileAttachments; the store's sizes are checked against 3 MB before any byte is read. */
export async function toFileAttachments(
  files: FilePort,
  entries: readonly { file: Parameters<FilePort['read']>[0]; name?: string | undefined }[] | undefined,
): Promise<FileAttachment[]> {
  if (!entries || entries.length === 0) return [];
  const opened: { stream: ReadableStream<Uint8Array>; name: string; contentType: string }[] = [];
  try {
    let total = 0;
    for (const entry of entries) {
      const { ref, stream } = await files.read(entry.file);
      opened.push({ stream, name: entry.name ?? ref.name, contentType: ref.contentType });
      total += ref.size;
      if (total > MAX_INLINE_ATTACHMENT_BYTES) throw tooLarge(total);
    }
    const attachments: FileAttachment[] = [];
    let budget = MAX_INLINE_ATTACHMENT_BYTES;
    for (const { stream, name, contentType } of opened) {
      const bytes = await readAll(stream, budget);
      budget -= bytes.length;
      attachments.push({
        '@odata.type': '#microsoft.graph.fileAttachment',
        name,
        contentType,
        contentBytes: bytes.toString('base64'),
      });
    }
    return attachments;
  } catch (error) {
    await Promise.all(opened.map(({ stream }) => stream.cancel().catch(() => {})));
    throw error;
  }
}
