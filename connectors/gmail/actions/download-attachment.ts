import { z } from 'zod';
import { FileRef } from '../../sdk/files.ts';
import { action } from '../kit.ts';
import { MessageId } from './message-id.ts';

const AttachmentBody = z.object({ size: z.number().optional(), data: z.string() });

export const downloadAttachment = action({
  key: 'downloadAttachment',
  title: 'Download a Gmail attachment',
  description:
    'Save one attachment of a Gmail message as a file of the run (for a later step to upload, parse or forward). The attachment id and name come from getEmail or the newEmail trigger.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    messageId: MessageId.describe('The Gmail message id, e.g. "{{ trigger.id }}".'),
    attachmentId: z
      .string()
      .min(1)
      .max(2000)
      .describe('The attachment id, e.g. "{{ trigger.attachments[0].attachmentId }}".'),
    filename: z
      .string()
      .min(1)
      .max(255)
      .default('attachment')
      .describe('The file name to store it under, e.g. "{{ trigger.attachments[0].filename }}".'),
    mimeType: z
      .string()
      .max(255)
      .optional()
      .describe('Its MIME type, e.g. "application/pdf" (default: recognised from the content).'),
  }),
  output: z.object({
    file: FileRef.describe('The stored file, for later steps (e.g. `{{ steps.pdf.output.file }}`).'),
    size: z.number().int().describe('Its size in bytes.'),
  }),
  async run(input, ctx) {
    const response = await ctx.client.send(
      {
        method: 'GET',
        path: `/users/me/messages/${encodeURIComponent(input.messageId)}/attachments/${encodeURIComponent(input.attachmentId)}`,
      },
      ctx.signal,
    );
    const bytes = Buffer.from(AttachmentBody.parse(response.body).data, 'base64url');
    const file = await ctx.files.write(
      { name: input.filename, contentType: input.mimeType, expectedSize: bytes.length },
      new Uint8Array(bytes),
    );
    return { file, size: bytes.length };
  },
});
