import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { ChannelRef, Post, PostFields, resolveChannel, toPost } from '../client.ts';
import { action } from '../kit.ts';

export const postMessage = action({
  key: 'postMessage',
  title: 'Post a Mattermost message',
  description:
    'Post a message (Markdown) in a Mattermost channel as the token’s user or bot; the channel by id or as "team-name/channel-name". A retry after a lost answer may post twice.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Mattermost channel', withValue.channel),
  input: z.strictObject({
    channel: ChannelRef.describe(
      'The channel: its id (26 characters) or "team-name/channel-name", e.g. "engineering/town-square".',
    ),
    ...PostFields,
  }),
  output: Post,
  async run(input, ctx) {
    const channelId = await resolveChannel(ctx.client, input.channel, ctx.signal);
    const response = await ctx.client.send(
      {
        method: 'POST',
        path: '/posts',
        json: {
          channel_id: channelId,
          message: input.message,
          ...(input.props ? { props: input.props } : {}),
        },
      },
      ctx.signal,
    );
    return toPost(response.body);
  },
});
