import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { guardedWrite } from '../guarded-write.ts';
import { action } from '../kit.ts';
import { RedisKey, TimeoutMs } from './inputs.ts';

export const pushToList = action({
  key: 'pushToList',
  title: 'Push onto a Redis list',
  description:
    'Add values to the left (head, LPUSH) or right (tail, RPUSH) end of a Redis list, e.g. to queue jobs for ' +
    'another program; a missing list is created. A retry of the same step does not push twice.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Redis list', withValue.key),
  input: z.strictObject({
    key: RedisKey,
    values: z
      .array(z.string().max(1_048_576))
      .min(1)
      .max(1000)
      .describe('The values to push, in order, e.g. ["{\\"orderId\\":42}"].'),
    end: z
      .enum(['left', 'right'])
      .default('right')
      .describe(
        '"right" (tail, RPUSH: a queue read with popFromList left) or "left" (head, LPUSH). Default "right".',
      ),
    timeoutMs: TimeoutMs,
  }),
  output: z.strictObject({ length: z.number().int().describe('The list’s length after the push.') }),
  run: (input, ctx) =>
    ctx.client.use(
      async (redis) => {
        const result = await guardedWrite(redis, {
          idempotencyKey: ctx.idempotencyKey,
          command: input.end === 'left' ? 'LPUSH' : 'RPUSH',
          key: input.key,
          args: input.values,
        });
        return { length: Number(result) };
      },
      { signal: ctx.signal, timeoutMs: input.timeoutMs },
    ),
});
