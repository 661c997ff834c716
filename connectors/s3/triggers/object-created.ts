import { z } from 'zod';
import { definePollTrigger } from '../../sdk/define.ts';
import { BucketName, listObjects, type S3Client, type S3Credential } from '../client.ts';

export const ObjectCreatedFilters = z.strictObject({
  bucket: BucketName,
  prefix: z.string().max(1024).optional().describe('Only keys that start with this, e.g. "incoming/".'),
  suffix: z.string().max(64).optional().describe('Only keys that end with this, e.g. ".csv".'),
  intervalSeconds: z
    .number()
    .int()
    .min(2)
    .max(86_400)
    .default(300)
    .describe(
      'Seconds between two listings of the bucket (2–86400; each is a paid LIST request), e.g. 60. Default 300.',
    ),
});

export const ObjectCreatedData = z.object({
  bucket: z.string().describe('The bucket.'),
  key: z.string().describe('The new (or rewritten) object’s key.'),
  size: z.number().int().describe('Size in bytes.'),
  etag: z.string().describe('The ETag (without quotes).'),
  lastModified: z.string().describe('When it was written, ISO 8601.'),
});

/** Objects listed per poll at most: S3 lists in key order, so the whole prefix is read each time. */
const MAX_LISTED = 10_000;

export const objectCreated = definePollTrigger<
  typeof ObjectCreatedFilters,
  typeof ObjectCreatedData,
  z.ZodObject<Record<string, never>>,
  S3Credential,
  S3Client
>({
  key: 'objectCreated',
  title: 'New object in an S3 bucket',
  description:
    'Starts the workflow once for each object written to an S3 or S3-compatible bucket (under a prefix, with a ' +
    'suffix) since the workflow was activated, found by listing the bucket every intervalSeconds; an object ' +
    'written again under the same key fires again.',
  kind: 'poll',
  with: ObjectCreatedFilters,
  data: ObjectCreatedData,
  state: z.strictObject({}),
  sample: {
    bucket: 'acme-invoices',
    key: 'incoming/2026-05-01-order-1042.csv',
    size: 2048,
    etag: '9b2cf535f27731c974343645a3985328',
    lastModified: '2026-05-01T09:30:00.000Z',
  },
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  async poll(ctx, filters, request) {
    const listed = await listObjects(
      ctx.client,
      { bucket: filters.bucket, prefix: filters.prefix, maxItems: MAX_LISTED, maxPages: MAX_LISTED / 1000 },
      ctx.signal,
    );
    if (listed.truncated) {
      ctx.logger.warn(
        { bucket: filters.bucket, prefix: filters.prefix },
        's3.objectCreated: more than 10000 objects under the prefix; narrow it',
      );
    }
    const after = request.after?.at ?? Number.NEGATIVE_INFINITY;
    return {
      items: listed.objects
        .filter((object) => !filters.suffix || object.key.endsWith(filters.suffix))
        .map((object) => ({ object, at: Date.parse(object.lastModified) }))
        .filter(({ at }) => at >= after)
        .map(({ object, at }) => ({
          // A rewrite of the key is a new object: its ETag (or time) differs. Neither holds a `|`.
          id: `${object.etag || object.lastModified}|${object.key}`,
          at,
          data: {
            bucket: filters.bucket,
            key: object.key,
            size: object.size,
            etag: object.etag,
            lastModified: object.lastModified,
          },
        })),
    };
  },
});
