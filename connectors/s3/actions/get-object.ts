import { z } from 'zod';
import { FileRef } from '../../sdk/files.ts';
import { BucketName, ObjectKey, unquoteEtag } from '../client.ts';
import { action } from '../kit.ts';

export const getObject = action({
  key: 'getObject',
  title: 'Download a file from S3',
  description:
    'Fetch an object from an S3 or S3-compatible bucket into the run’s files (streamed), to attach, parse or ' +
    'upload it elsewhere in later steps.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    bucket: BucketName,
    key: ObjectKey,
    name: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('The file name in the run, e.g. "invoice.pdf"; default the last part of the key.'),
  }),
  output: z.strictObject({
    file: FileRef,
    etag: z.string().describe('The object’s ETag (without quotes).'),
    lastModified: z.string().nullable().describe('When the object was last written, ISO 8601.'),
    contentType: z.string().nullable().describe('The Content-Type stored with the object.'),
  }),
  async run(input, ctx) {
    const response = await ctx.client.send(
      { method: 'GET', bucket: input.bucket, key: input.key, transfer: true },
      ctx.signal,
    );
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    const contentType = response.headers.get('content-type');
    const file = await ctx.files.write(
      {
        name: input.name ?? input.key.split('/').filter(Boolean).pop() ?? 'object',
        contentType: contentType ?? undefined,
        ...(Number.isFinite(length) ? { expectedSize: length } : {}),
      },
      response.body ?? new Uint8Array(),
    );
    const modified = response.headers.get('last-modified');
    return {
      file,
      etag: unquoteEtag(response.headers.get('etag')),
      lastModified: modified ? new Date(modified).toISOString() : null,
      contentType,
    };
  },
});
