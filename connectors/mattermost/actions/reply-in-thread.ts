import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Post, PostFields, toPost } from '../client.ts';
import { action } from '../kit.ts';

export const replyInThread = action({
  key: 'replyInThread',
  title: 'Reply in a Mattermost thread',
  description:
    'Reply to a Mattermost post in its thread (a reply to a reply goes to the same thread), as the token’s user or bot.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Mattermost thread of post', withValue.postId),
  input: z.strictObject({
    postId: z
      .string()
      .regex(/^[a-z0-9]{26}$/, 'a Mattermost post id (26 characters)')
      .describe('The post to answer, e.g. "{{ steps.post.output.id }}" or "xg1zo6bqyjrcpb5ukemhoxz4qe".'),
    ...PostFields,
  }),
  output: Post,
  async run(input, ctx) {
    const parent = toPost(
      (
        await ctx.client.send(
          { method: 'GET', path: `/posts/${encodeURIComponent(input.postId)}` },
          ctx.signal,
        )
      ).body,
    );
    const response = await ctx.client.send(
      {
        method: 'POST',
        path: '/posts',
        json: {
          channel_id: parent.channelId,
          root_id: parent.rootId || parent.id,
          message: input.message,
          ...(input.props ? { props: input.props } : {}),
        },
      },
      ctx.signal,
    );
    return toPost(response.body);
  },
});
