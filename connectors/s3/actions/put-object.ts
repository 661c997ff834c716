import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { FileRef } from '../../sdk/files.ts';
import { BucketName, ObjectKey, unquoteEtag } from '../client.ts';
import { action } from '../kit.ts';

export const putObject = action({
  key: 'putObject',
  title: 'Upload a file to S3',
  description:
    'Store a file of the run (an attachment, a generated report) as an object in an S3 or S3-compatible bucket ' +
    '(MinIO, Cloudflare R2, Wasabi…), streamed from the run’s files; an object with the same key is replaced.',
  effect: 'write',
  // The same bytes under the same key leave the bucket as one upload does.
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the S3 bucket', withValue.bucket, { key: withValue.key }),
  input: z.strictObject({
    bucket: BucketName,
    key: ObjectKey,
    file: FileRef,
    contentType: z
      .string()
      .max(255)
      .regex(/^[\w.+-]+\/[\w.+-]+(;.*)?$/, 'a media type such as application/pdf')
      .optional()
      .describe('The object’s Content-Type, e.g. "application/pdf"; default the file’s.'),
  }),
  output: z.strictObject({
    bucket: z.string().describe('The bucket.'),
    key: z.string().describe('The object key.'),
    etag: z.string().describe('The ETag S3 gave the object (without quotes).'),
    size: z.number().int().describe('Bytes uploaded.'),
  }),
  async run(input, ctx) {
    const { ref, stream } = await ctx.files.read(input.file);
    const response = await ctx.client.send(
      {
        method: 'PUT',
        bucket: input.bucket,
        key: input.key,
        headers: { 'content-type': input.contentType ?? ref.contentType },
        stream: { body: stream, length: ref.size },
        transfer: true,
      },
      ctx.signal,
    );
    await response.body?.cancel();
    return {
      bucket: input.bucket,
      key: input.key,
      etag: unquoteEtag(response.headers.get('etag')),
      size: ref.size,
    };
  },
});
