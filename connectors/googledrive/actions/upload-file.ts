import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { type FilePort, FileRef } from '../../sdk/files.ts';
import type { StreamedBody } from '../../sdk/multipart.ts';
import { DriveFile, DriveId, FILE_FIELDS, toDriveFile } from '../client.ts';
import { driveAction } from '../kit.ts';

export const UploadFileInput = z.strictObject({
  file: FileRef.describe(
    'The file to upload: a FileRef from a step output, e.g. {{ steps.report.output.file }}.',
  ),
  name: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('The name in Drive, e.g. "Q3 report.pdf"; default the file\'s own name.'),
  folderId: DriveId.optional().describe(
    'The folder to put it in (its id, from its URL after /folders/); default My Drive.',
  ),
  description: z.string().max(4000).optional().describe("A description shown in Drive's details pane."),
  convertTo: z
    .enum(['document', 'spreadsheet', 'presentation'])
    .optional()
    .describe(
      'Convert on upload into a Google Doc, Sheet or Slides (from .docx/.csv/.xlsx/.pptx); default: keep the file as it is.',
    ),
});

const GOOGLE_TYPES = {
  document: 'application/vnd.google-apps.document',
  spreadsheet: 'application/vnd.google-apps.spreadsheet',
  presentation: 'application/vnd.google-apps.presentation',
} as const;

/**
 * multipart/related (RFC 2387) as Drive's multipart upload takes it: the JSON metadata, then the file's bytes
 * streamed from the run's store, with the exact length.
 */
export async function relatedBody(files: FilePort, metadata: unknown, ref: FileRef): Promise<StreamedBody> {
  const { ref: stored } = await files.read(ref);
  const boundary = `vmesh${randomBytes(16).toString('hex')}`;
  const encoder = new TextEncoder();
  const head = encoder.encode(
    `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(metadata)}\r\n` +
      `--${boundary}\r\nContent-Type: ${stored.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  let stage: 'head' | 'file' | 'tail' | 'done' = 'head';
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (stage === 'head') {
        stage = 'file';
        controller.enqueue(head);
        return;
      }
      if (stage === 'file') {
        reader ??= (await files.read(stored)).stream.getReader();
        const next = await reader.read();
        if (!next.done) {
          controller.enqueue(next.value);
          return;
        }
        stage = 'tail';
      }
      if (stage === 'tail') {
        stage = 'done';
        controller.enqueue(tail);
        return;
      }
      controller.close();
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
  return {
    stream,
    length: head.byteLength + stored.size + tail.byteLength,
    contentType: `multipart/related; boundary=${boundary}`,
  };
}

export const uploadFile = driveAction({
  key: 'uploadFile',
  title: 'Upload a file to Google Drive',
  description:
    'Upload a file of the run (an attachment, a generated report) into a Google Drive folder, optionally converted to a Google Doc or Sheet.',
  effect: 'write',
  // Drive has no idempotency key for uploads: a retry after a lost answer may leave two copies.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Google Drive folder', withValue.folderId ?? 'My Drive', { file: withValue.name }),
  input: UploadFileInput,
  output: DriveFile,
  async run(input, ctx) {
    const metadata = {
      name: input.name ?? input.file.name,
      ...(input.folderId ? { parents: [input.folderId] } : {}),
      ...(input.description ? { description: input.description } : {}),
      ...(input.convertTo ? { mimeType: GOOGLE_TYPES[input.convertTo] } : {}),
    };
    const response = await ctx.client.send(
      {
        method: 'POST',
        path: '/upload/drive/v3/files',
        query: { uploadType: 'multipart', fields: FILE_FIELDS, supportsAllDrives: true },
        stream: await relatedBody(ctx.files, metadata, input.file),
      },
      ctx.signal,
    );
    return toDriveFile(response.body);
  },
});
