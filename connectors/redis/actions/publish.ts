import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { guardedWrite } from '../guarded-write.ts';
import { action } from '../kit.ts';
import { TimeoutMs } from './inputs.ts';

export const publish = action({
  key: 'publish',
  title: 'Publish a Redis message',
  description:
    'Send a message to a Redis Pub/Sub channel (PUBLISH) for the programs subscribed to it right now; nothing is ' +
    'stored for later subscribers. A retry of the same step does not send it twice.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Redis channel', withValue.channel),
  input: z.strictObject({
    channel: z
      .string()
      .min(1)
      .max(1024)
      .describe('The channel, e.g. "orders.created" (the credential’s keyPrefix, if any, is put in front).'),
    message: z.string().max(1_048_576).describe('The message text, e.g. a JSON string {"orderId":42}.'),
    timeoutMs: TimeoutMs,
  }),
  output: z.strictObject({
    receivers: z.number().int().describe('How many subscribers received it (on this node of a cluster).'),
  }),
  run: (input, ctx) =>
    ctx.client.use(
      async (redis) => {
        const result = await guardedWrite(redis, {
          idempotencyKey: ctx.idempotencyKey,
          command: 'PUBLISH',
          args: [`${ctx.client.keyPrefix}${input.channel}`, input.message],
        });
        return { receivers: Number(result) };
      },
      { signal: ctx.signal, timeoutMs: input.timeoutMs },
    ),
});
