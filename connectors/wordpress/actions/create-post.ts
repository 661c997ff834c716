import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Post, PostFields, postBody, toPost } from '../client.ts';
import { rest } from '../kit.ts';

export const CreatePostInput = z.strictObject({
  title: z.string().min(1).max(1000).describe('The post title, e.g. "Spring sale starts Monday".'),
  ...PostFields,
});

export const createPost = rest.action({
  key: 'createPost',
  title: 'Create a WordPress post',
  description:
    'Write a new blog post on a WordPress site: title, HTML content, status (draft by default, or publish now or at a date), categories, tags and a featured image.',
  effect: 'write',
  // The REST API has no idempotency key: a retry after a lost answer can make a second post.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the new WordPress post', withValue.title, { status: withValue.status ?? 'draft' }),
  input: CreatePostInput,
  output: Post,
  http: {
    method: 'POST',
    path: '/posts',
    json: (input) => ({ ...postBody(input), status: input.status ?? 'draft' }),
  },
  project: (response) => toPost(response.body),
});
