import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CreatedPost, MediaIds, PostId, PostText, toCreatedPost } from '../client.ts';
import { rest } from '../kit.ts';

export const ReplyToPostInput = z.strictObject({
  postId: PostId.describe('The post to answer, e.g. "1866212345678901234".'),
  text: PostText,
  mediaIds: MediaIds,
});

export const replyToPost = rest.action({
  key: 'replyToPost',
  title: 'Reply to a post on X',
  description:
    'Answer a post on X from the connected account: the reply joins that post’s thread (the author may limit who can reply).',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the X thread of post', withValue.postId),
  input: ReplyToPostInput,
  output: CreatedPost,
  http: {
    method: 'POST',
    path: '/tweets',
    json: (input) => ({
      text: input.text,
      reply: { in_reply_to_tweet_id: input.postId },
      ...(input.mediaIds ? { media: { media_ids: input.mediaIds } } : {}),
    }),
  },
  project: (response) => toCreatedPost(response.body),
});
