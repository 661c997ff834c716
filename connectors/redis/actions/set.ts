import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { action } from '../kit.ts';
import { RedisKey, TimeoutMs } from './inputs.ts';

export const SetInput = z
  .strictObject({
    key: RedisKey,
    value: z
      .string()
      .max(1_048_576)
      .describe('The value to store (text up to 1 MiB), e.g. "shipped" or a JSON string.'),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(31_536_000)
      .optional()
      .describe('Expire the key after this many seconds (EX), e.g. 3600.'),
    ttlMs: z
      .number()
      .int()
      .min(1)
      .max(31_536_000_000)
      .optional()
      .describe('Expire the key after this many milliseconds (PX), e.g. 1500; instead of ttlSeconds.'),
    onlyIf: z
      .enum(['always', 'absent', 'exists'])
      .default('always')
      .describe(
        '"absent": only when the key does not exist yet (NX, for locks and first-writer-wins); "exists": only when it does (XX). Default "always".',
      ),
    timeoutMs: TimeoutMs,
  })
  .refine((input) => input.ttlSeconds === undefined || input.ttlMs === undefined, {
    message: 'give ttlSeconds or ttlMs, not both',
    path: ['ttlMs'],
  });

export const set = action({
  key: 'set',
  title: 'Set a Redis value',
  description:
    'Store a string at a Redis key, optionally expiring (TTL in seconds or ms) and only if the key is absent (NX) or ' +
    'exists (XX). Use it to cache a result, remember that something was done, or take a simple lock.',
  effect: 'write',
  // Setting the same value again leaves the key as once (an NX retry finds its own value and reports not written).
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Redis key', withValue.key),
  input: SetInput,
  output: z.strictObject({
    written: z
      .boolean()
      .describe('False when onlyIf prevented the write (NX: the key existed; XX: it did not).'),
  }),
  run: (input, ctx) =>
    ctx.client.use(
      async (redis) => {
        const args: (string | number)[] = [];
        if (input.ttlSeconds !== undefined) args.push('EX', input.ttlSeconds);
        if (input.ttlMs !== undefined) args.push('PX', input.ttlMs);
        if (input.onlyIf === 'absent') args.push('NX');
        if (input.onlyIf === 'exists') args.push('XX');
        const reply = await redis.call('SET', input.key, input.value, ...args);
        return { written: reply === 'OK' };
      },
      { signal: ctx.signal, timeoutMs: input.timeoutMs },
    ),
});
