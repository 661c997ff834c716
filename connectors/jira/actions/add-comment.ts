import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { textToAdf } from '../adf.ts';
import { IssueKey } from '../client.ts';
import { rest } from '../kit.ts';

const CommentBody = z.object({
  id: z.string(),
  created: z.string().optional(),
  author: z.object({ displayName: z.string().optional() }).loose().optional(),
});

export const addComment = rest.action({
  key: 'addComment',
  title: 'Comment on a Jira issue',
  description: 'Add a plain-text comment to a Jira issue (blank lines make paragraphs).',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Jira issue', withValue.issueKey),
  input: z.strictObject({
    issueKey: IssueKey,
    text: z.string().min(1).max(32_000).describe('The comment, e.g. "The customer confirmed the fix works."'),
  }),
  output: z.object({
    id: z.string().describe('The comment id.'),
    issueKey: z.string().describe('The issue it is on.'),
    created: z.string().nullable().describe('When it was posted (ISO).'),
    author: z.string().nullable().describe('Who posted it (the credential’s account).'),
  }),
  http: {
    method: 'POST',
    path: '/issue/{issueKey}/comment',
    json: (input) => ({ body: textToAdf(input.text) }),
  },
  project: (response, input) => {
    const comment = CommentBody.parse(response.body);
    return {
      id: comment.id,
      issueKey: input.issueKey,
      created: comment.created ?? null,
      author: comment.author?.displayName ?? null,
    };
  },
});
