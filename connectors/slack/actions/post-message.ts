import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { writeOnce } from '../../sdk/write-once.ts';
import { callSlack, findStepMessage, stepMetadata } from '../client.ts';
import { action } from '../kit.ts';

export const PostMessageInput = z.strictObject({
  channel: z
    .string()
    .min(1)
    .describe('Channel ID (C…, preferred) or #name. The app must be a member of private channels.'),
  text: z
    .string()
    .min(1)
    .max(40_000)
    .describe(
      'Message text in Slack mrkdwn (*bold*, <https://x|links>, <@U123> mentions); the notification text when blocks are given.',
    ),
  blocks: z
    .array(z.record(z.string(), z.unknown()))
    .max(50)
    .optional()
    .describe('Optional Block Kit blocks for a richer layout.'),
  unfurlLinks: z
    .boolean()
    .optional()
    .describe("Whether Slack previews links in the text. Slack's default when omitted."),
});
export type PostMessageInput = z.infer<typeof PostMessageInput>;

export const PostMessageOutput = z.object({
  channel: z.string().describe('ID of the channel the message is in.'),
  ts: z.string().describe('Timestamp id of the message (use it as threadTs or for reactions).'),
  deduplicated: z
    .boolean()
    .describe('True when a retry found the message an earlier attempt had already posted.'),
});
export type PostMessageOutput = z.infer<typeof PostMessageOutput>;

export const postMessage = action({
  key: 'postMessage',
  title: 'Post a Slack message',
  description:
    'Post a message to a Slack channel. Retries do not post twice when the channel is given by ID.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Slack channel', withValue.channel),
  input: PostMessageInput,
  output: PostMessageOutput,
  run: (input, ctx) =>
    writeOnce(ctx, {
      // History can be read only by channel ID: a #name cannot be checked, so it is posted again.
      async find() {
        if (!/^[CGD][A-Z0-9]+$/.test(input.channel)) return undefined;
        const history = await callSlack('conversations.history', () =>
          ctx.client.conversations.history({ channel: input.channel, limit: 50, include_all_metadata: true }),
        );
        const ts = findStepMessage(history.messages, ctx.idempotencyKey);
        return ts ? { channel: input.channel, ts, deduplicated: true } : undefined;
      },
      async write() {
        const posted = await callSlack('chat.postMessage', () =>
          ctx.client.chat.postMessage({
            channel: input.channel,
            text: input.text,
            ...(input.blocks ? { blocks: input.blocks as never } : {}),
            ...(input.unfurlLinks === undefined ? {} : { unfurl_links: input.unfurlLinks }),
            metadata: stepMetadata(ctx.idempotencyKey),
          }),
        );
        return { channel: posted.channel ?? input.channel, ts: posted.ts ?? '', deduplicated: false };
      },
    }),
});
