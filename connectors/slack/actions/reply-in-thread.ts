import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { writeOnce } from '../../sdk/write-once.ts';
import { callSlack, findStepMessage, stepMetadata } from '../client.ts';
import { action } from '../kit.ts';

export const ReplyInThreadInput = z.strictObject({
  channel: z.string().min(1).describe('Channel ID (C…) of the parent message.'),
  threadTs: z
    .string()
    .regex(/^\d+\.\d+$/, 'a Slack message timestamp like 1712345678.000100')
    .describe('ts of the parent message, e.g. steps.post.output.ts or trigger.ts.'),
  text: z.string().min(1).max(40_000).describe('Reply text in Slack mrkdwn.'),
  broadcast: z.boolean().default(false).describe('Also show the reply in the channel. Default false.'),
});
export type ReplyInThreadInput = z.infer<typeof ReplyInThreadInput>;

export const ReplyInThreadOutput = z.object({
  channel: z.string().describe('ID of the channel.'),
  ts: z.string().describe('Timestamp id of the reply.'),
  threadTs: z.string().describe('ts of the parent message.'),
  deduplicated: z
    .boolean()
    .describe('True when a retry found the reply an earlier attempt had already posted.'),
});

export const replyInThread = action({
  key: 'replyInThread',
  title: 'Reply in a Slack thread',
  description: 'Post a reply under an existing Slack message (in its thread). Retries do not reply twice.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Slack channel', withValue.channel, { thread: withValue.threadTs }),
  input: ReplyInThreadInput,
  output: ReplyInThreadOutput,
  run: (input, ctx) =>
    writeOnce(ctx, {
      async find() {
        const replies = await callSlack('conversations.replies', () =>
          ctx.client.conversations.replies({
            channel: input.channel,
            ts: input.threadTs,
            limit: 200,
            include_all_metadata: true,
          }),
        );
        const ts = findStepMessage(replies.messages, ctx.idempotencyKey);
        return ts ? { channel: input.channel, ts, threadTs: input.threadTs, deduplicated: true } : undefined;
      },
      async write() {
        const posted = await callSlack('chat.postMessage', () =>
          ctx.client.chat.postMessage({
            channel: input.channel,
            thread_ts: input.threadTs,
            text: input.text,
            reply_broadcast: input.broadcast,
            metadata: stepMetadata(ctx.idempotencyKey),
          }),
        );
        return {
          channel: posted.channel ?? input.channel,
          ts: posted.ts ?? '',
          threadTs: input.threadTs,
          deduplicated: false,
        };
      },
    }),
});
