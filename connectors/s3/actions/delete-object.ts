import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { BucketName, ObjectKey } from '../client.ts';
import { action } from '../kit.ts';

export const deleteObject = action({
  key: 'deleteObject',
  title: 'Delete an object from S3',
  description:
    'Delete one object from an S3 or S3-compatible bucket by its key. Deleting a key that does not exist succeeds ' +
    '(S3 answers the same); in a versioned bucket it adds a delete marker.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the S3 bucket', withValue.bucket, { key: withValue.key }),
  input: z.strictObject({ bucket: BucketName, key: ObjectKey }),
  output: z.strictObject({
    bucket: z.string().describe('The bucket.'),
    key: z.string().describe('The key that was deleted.'),
    deleted: z.literal(true).describe('Always true.'),
  }),
  async run(input, ctx) {
    const response = await ctx.client.send(
      { method: 'DELETE', bucket: input.bucket, key: input.key },
      ctx.signal,
    );
    await response.body?.cancel();
    return { bucket: input.bucket, key: input.key, deleted: true as const };
  },
});
