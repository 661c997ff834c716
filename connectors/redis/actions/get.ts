import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { action } from '../kit.ts';
import { RedisKey, TimeoutMs } from './inputs.ts';

/** At most this many characters of a value are returned. */
const MAX_VALUE_BYTES = 1_048_576;

export const get = action({
  key: 'get',
  title: 'Get a Redis value',
  description:
    'Read the string value stored at a Redis key, with how long it still lives. Use it to look up a cached ' +
    'answer, a feature flag or a counter; `found: false` when the key does not exist.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ key: RedisKey, timeoutMs: TimeoutMs }),
  output: z.strictObject({
    found: z.boolean().describe('Whether the key exists.'),
    value: z.string().nullable().describe('The value (UTF-8 text), or null when the key does not exist.'),
    ttlMs: z
      .number()
      .int()
      .nullable()
      .describe('Milliseconds until the key expires; null when it never does or does not exist.'),
    truncated: z
      .boolean()
      .describe('True when the value was longer than 1 MiB and only its start is returned.'),
  }),
  run: (input, ctx) =>
    ctx.client.use(
      async (redis) => {
        const [type, ttl, length] =
          (await redis.multi().type(input.key).pttl(input.key).strlen(input.key).exec()) ?? [];
        if (type?.[0] || ttl?.[0]) throw type?.[0] ?? ttl?.[0];
        if (type?.[1] === 'none') return { found: false, value: null, ttlMs: null, truncated: false };
        if (type?.[1] !== 'string') {
          throw new ConnectorError({
            code: 'E_REQUEST',
            message: `redis.get: the key holds a ${String(type?.[1])}, not a string.`,
            retryable: false,
            hint: 'Use popFromList for a list, or another key.',
            details: { vendorCode: 'WRONGTYPE' },
          });
        }
        const value = await redis.getrange(input.key, 0, MAX_VALUE_BYTES - 1);
        const ttlMs = Number(ttl?.[1] ?? -1);
        return {
          found: true,
          value,
          ttlMs: ttlMs >= 0 ? ttlMs : null,
          truncated: Number(length?.[1] ?? 0) > MAX_VALUE_BYTES,
        };
      },
      { signal: ctx.signal, timeoutMs: input.timeoutMs },
    ),
});
