import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { GoogleClient } from '../../google/client.ts';
import { ConnectorError } from '../../sdk/connector-error.ts';
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

/** Drive recommends the multipart upload up to 5 MB and a resumable session above. */
export const RESUMABLE_FROM_BYTES = 5 * 1024 * 1024;

/**
 * A resumable upload (two requests): the session is opened with the metadata, then the bytes are PUT to the
 * session URI Drive answered, which must be on the API's own origin and upload path (the token goes there).
 */
async function resumableUpload(
  ctx: { client: GoogleClient; files: FilePort; signal: AbortSignal },
  metadata: Record<string, unknown>,
  ref: FileRef,
): Promise<unknown> {
  const opened = await ctx.client.send(
    {
      method: 'POST',
      path: '/upload/drive/v3/files',
      query: { uploadType: 'resumable', fields: FILE_FIELDS, supportsAllDrives: true },
      headers: { 'x-upload-content-type': ref.contentType, 'x-upload-content-length': String(ref.size) },
      json: metadata,
    },
    ctx.signal,
  );
  const location = URL.parse(opened.headers.get('location') ?? '');
  const uploadId = location?.searchParams.get('upload_id');
  if (
    !location ||
    !uploadId ||
    location.origin !== ctx.client.baseUrl.origin ||
    !location.pathname.endsWith('/upload/drive/v3/files')
  ) {
    throw new ConnectorError({
      code: 'E_UPSTREAM',
      message: `googledrive.uploadFile: Drive answered a resumable session URI that is not its own upload endpoint${location ? ` (${location.origin}${location.pathname})` : ''}; nothing was sent to it.`,
      retryable: false,
      hint: 'The answer did not come from Google as expected: check the network path to www.googleapis.com.',
    });
  }
  const { stream } = await ctx.files.read(ref);
  const response = await ctx.client.send(
    {
      method: 'PUT',
      path: '/upload/drive/v3/files',
      query: { uploadType: 'resumable', upload_id: uploadId },
      stream: { stream, length: ref.size, contentType: ref.contentType },
    },
    ctx.signal,
  );
  return response.body;
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
    const { ref } = await ctx.files.read(input.file);
    if (ref.size > RESUMABLE_FROM_BYTES) return toDriveFile(await resumableUpload(ctx, metadata, ref));
    const response = await ctx.client.send(
      {
        method: 'POST',
        path: '/upload/drive/v3/files',
        query: { uploadType: 'multipart', fields: FILE_FIELDS, supportsAllDrives: true },
        stream: await relatedBody(ctx.files, metadata, ref),
      },
      ctx.signal,
    );
    return toDriveFile(response.body);
  },
});
