import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { guardedWrite } from '../guarded-write.ts';
import { action } from '../kit.ts';
import { RedisKey, TimeoutMs } from './inputs.ts';

export const popFromList = action({
  key: 'popFromList',
  title: 'Pop from a Redis list',
  description:
    'Take (remove and return) up to `count` values from the left (head, LPOP) or right (tail, RPOP) end of a Redis ' +
    'list, e.g. to work off a queue; an empty or missing list gives no values. A retry of the same step gets the ' +
    'same values back instead of taking more.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Redis list', withValue.key),
  input: z.strictObject({
    key: RedisKey,
    count: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe('At most this many values, e.g. 10 (default 1).'),
    end: z
      .enum(['left', 'right'])
      .default('left')
      .describe(
        '"left" (head, LPOP: the oldest of a queue filled with pushToList right) or "right" (tail). Default "left".',
      ),
    timeoutMs: TimeoutMs,
  }),
  output: z.strictObject({
    values: z
      .array(z.string())
      .describe('The values taken, in the order they came off the list; empty when none.'),
  }),
  run: (input, ctx) =>
    ctx.client.use(
      async (redis) => {
        const result = await guardedWrite(redis, {
          idempotencyKey: ctx.idempotencyKey,
          command: input.end === 'left' ? 'LPOP' : 'RPOP',
          key: input.key,
          args: [input.count],
        });
        return { values: Array.isArray(result) ? result.map(String) : [] };
      },
      { signal: ctx.signal, timeoutMs: input.timeoutMs },
    ),
});
