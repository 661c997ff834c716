import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Post, PostFields, postBody, toPost } from '../client.ts';
import { rest } from '../kit.ts';

export const UpdatePostInput = z.strictObject({
  postId: z.number().int().positive().describe('The post id, e.g. 1204 (from createPost or listPosts).'),
  title: z.string().min(1).max(1000).optional().describe('A new title, e.g. "Spring sale: extended".'),
  ...PostFields,
  content: PostFields.content.optional(),
});

export const updatePost = rest.action({
  key: 'updatePost',
  title: 'Update a WordPress post',
  description:
    'Change an existing WordPress post: only the fields given change (title, content, status to publish a draft, categories, featured image…).',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the WordPress post', withValue.postId),
  input: UpdatePostInput,
  output: Post,
  http: { method: 'POST', path: '/posts/{postId}', json: (input) => postBody(input) },
  project: (response) => toPost(response.body),
});
