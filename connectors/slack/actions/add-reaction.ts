import { WebAPIPlatformError } from '@slack/web-api';
import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { toSlackError } from '../client.ts';
import { action } from '../kit.ts';

export const AddReactionInput = z.strictObject({
  channel: z.string().min(1).describe('Channel ID (C…) of the message.'),
  timestamp: z
    .string()
    .regex(/^\d+\.\d+$/, 'a Slack message timestamp like 1712345678.000100')
    .describe('ts of the message to react to.'),
  name: z
    .string()
    .regex(/^[a-z0-9_+'-]+$/, 'an emoji name without colons, e.g. "eyes"')
    .describe('Emoji name without colons, e.g. "white_check_mark" or "eyes".'),
});

export const AddReactionOutput = z.object({
  alreadyReacted: z.boolean().describe('True when the app had already added this reaction (not an error).'),
});

export const addReaction = action({
  key: 'addReaction',
  title: 'Add an emoji reaction',
  description: 'Add an emoji reaction to a Slack message, e.g. to mark it as seen or handled.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Slack channel', withValue.channel, { message: withValue.timestamp }),
  input: AddReactionInput,
  output: AddReactionOutput,
  async run(input, ctx) {
    try {
      await ctx.client.reactions.add({
        channel: input.channel,
        timestamp: input.timestamp,
        name: input.name,
      });
      return { alreadyReacted: false };
    } catch (error) {
      if (error instanceof WebAPIPlatformError && error.data.error === 'already_reacted')
        return { alreadyReacted: true };
      throw toSlackError(error, 'reactions.add');
    }
  },
});
