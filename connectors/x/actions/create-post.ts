import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CreatedPost, MediaIds, PostId, PostText, toCreatedPost } from '../client.ts';
import { rest } from '../kit.ts';

export const CreatePostInput = z.strictObject({
  text: PostText,
  quotePostId: PostId.optional().describe('Quote this post id, e.g. "1866212345678901234".'),
  mediaIds: MediaIds,
});

export const createPost = rest.action({
  key: 'createPost',
  title: 'Post on X',
  description:
    'Publish a post (a tweet) on X from the connected account, optionally quoting another post or with uploaded media.',
  effect: 'write',
  // X has no idempotency key; it refuses the same text twice in a row (403 duplicate content), not a retry.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the X timeline of the connected account, post', withValue.text),
  input: CreatePostInput,
  output: CreatedPost,
  http: {
    method: 'POST',
    path: '/tweets',
    json: (input) => ({
      text: input.text,
      ...(input.quotePostId ? { quote_tweet_id: input.quotePostId } : {}),
      ...(input.mediaIds ? { media: { media_ids: input.mediaIds } } : {}),
    }),
  },
  project: (response) => toCreatedPost(response.body),
});
