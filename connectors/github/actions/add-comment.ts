import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { writeOnce } from '../../sdk/write-once.ts';
import { callGithub, idempotencyMarker, RepoRef, withMarker } from '../client.ts';
import { action } from '../kit.ts';
import { repositoryOf } from '../repository-of.ts';

export const AddCommentInput = z.strictObject({
  ...RepoRef,
  issueNumber: z.number().int().min(1).describe('Number of the issue or pull request to comment on.'),
  body: z.string().min(1).max(60_000).describe('Comment text in GitHub Markdown.'),
});

export const AddCommentOutput = z.object({
  id: z.number().int().describe('Comment id.'),
  url: z.string().describe('Web URL of the comment.'),
  deduplicated: z.boolean().describe('True when a retry found the comment an earlier attempt had posted.'),
});

const Comment = z.object({ id: z.number(), html_url: z.string(), body: z.string().nullable().optional() });

export const addComment = action({
  key: 'addComment',
  title: 'Comment on a GitHub issue or pull request',
  description: 'Add a comment to a GitHub issue or pull request. Retries do not comment twice.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the GitHub repository', repositoryOf(withValue), { issue: withValue.issueNumber }),
  input: AddCommentInput,
  output: AddCommentOutput,
  run: (input, ctx) =>
    writeOnce(ctx, {
      async find() {
        const marker = idempotencyMarker(ctx.idempotencyKey);
        const existing = await callGithub('issues.listComments', () =>
          ctx.client.issues.listComments({
            owner: input.owner,
            repo: input.repo,
            issue_number: input.issueNumber,
            per_page: 100,
          }),
        );
        const earlier = z
          .array(Comment)
          .parse(existing.data)
          .find((comment) => comment.body?.includes(marker));
        return earlier ? { id: earlier.id, url: earlier.html_url, deduplicated: true } : undefined;
      },
      async write() {
        const created = await callGithub('issues.createComment', () =>
          ctx.client.issues.createComment({
            owner: input.owner,
            repo: input.repo,
            issue_number: input.issueNumber,
            body: withMarker(input.body, ctx.idempotencyKey),
          }),
        );
        const comment = Comment.parse(created.data);
        return { id: comment.id, url: comment.html_url, deduplicated: false };
      },
    }),
});
