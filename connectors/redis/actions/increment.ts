import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { guardedWrite } from '../guarded-write.ts';
import { action } from '../kit.ts';
import { RedisKey, TimeoutMs } from './inputs.ts';

export const increment = action({
  key: 'increment',
  title: 'Increment a Redis counter',
  description:
    'Add a whole number (default 1, may be negative) to the counter at a Redis key (INCRBY; a missing key counts ' +
    'from 0) and get the new value. A retry of the same step does not count twice.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Redis counter', withValue.key),
  input: z.strictObject({
    key: RedisKey,
    by: z
      .number()
      .int()
      .min(-1e15)
      .max(1e15)
      .default(1)
      .describe('How much to add, e.g. 1 or -1 (default 1).'),
    timeoutMs: TimeoutMs,
  }),
  output: z.strictObject({ value: z.number().int().describe('The counter after the increment.') }),
  run: (input, ctx) =>
    ctx.client.use(
      async (redis) => {
        const result = await guardedWrite(redis, {
          idempotencyKey: ctx.idempotencyKey,
          command: 'INCRBY',
          key: input.key,
          args: [input.by],
        });
        return { value: Number(result) };
      },
      { signal: ctx.signal, timeoutMs: input.timeoutMs },
    ),
});
