import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { IssueRef } from '../client.ts';
import { linearAction } from '../kit.ts';

const Answer = z.object({
  commentCreate: z.object({
    success: z.boolean(),
    comment: z.object({ id: z.string(), url: z.string().optional(), createdAt: z.string().optional() }),
  }),
});

export const addComment = linearAction({
  key: 'addComment',
  title: 'Comment on a Linear issue',
  description: 'Add a Markdown comment to a Linear issue.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Linear issue', withValue.issueId),
  input: z.strictObject({
    issueId: IssueRef,
    body: z
      .string()
      .min(1)
      .max(100_000)
      .describe('The comment in Markdown, e.g. "Deployed the fix in **2.4**."'),
  }),
  output: z.object({
    id: z.string().describe('The comment id.'),
    url: z.string().nullable().describe('Link to the comment.'),
    createdAt: z.string().nullable().describe('When it was posted (ISO).'),
  }),
  document: `mutation CommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id url createdAt } }
}`,
  variables: (input) => ({ input: { issueId: input.issueId, body: input.body } }),
  project: (data) => {
    const { comment } = Answer.parse(data).commentCreate;
    return { id: comment.id, url: comment.url ?? null, createdAt: comment.createdAt ?? null };
  },
});
