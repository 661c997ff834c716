import { z } from 'zod';
import { BucketName, listObjects, S3Object } from '../client.ts';
import { action } from '../kit.ts';

export const listObjectsAction = action({
  key: 'listObjects',
  title: 'List objects in an S3 bucket',
  description:
    'List the objects of an S3 or S3-compatible bucket under a prefix (a "folder"), in key order, with size, ETag ' +
    'and last-modified time; with a delimiter, the sub-folders too.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    bucket: BucketName,
    prefix: z
      .string()
      .max(1024)
      .optional()
      .describe('Only keys that start with this, e.g. "invoices/2026/".'),
    delimiter: z
      .literal('/')
      .optional()
      .describe('"/" to list one folder level: deeper keys are summed up in `prefixes`.'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(1000)
      .describe('At most this many objects, e.g. 100 (default 1000); pages of 1000 are fetched as needed.'),
  }),
  output: z.strictObject({
    objects: z.array(S3Object).describe('The objects, in key order.'),
    prefixes: z.array(z.string()).describe('The sub-folders (common prefixes) when `delimiter` is set.'),
    truncated: z.boolean().describe('True when more objects matched than `limit`.'),
  }),
  run: (input, ctx) =>
    listObjects(
      ctx.client,
      {
        bucket: input.bucket,
        prefix: input.prefix,
        delimiter: input.delimiter,
        maxItems: input.limit,
        maxPages: 10,
      },
      ctx.signal,
    ),
});
