import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { writeOnce } from '../../sdk/write-once.ts';
import { callGithub, idempotencyMarker, RepoRef, withMarker } from '../client.ts';
import { action } from '../kit.ts';
import { repositoryOf } from '../repository-of.ts';

export const CreateIssueInput = z.strictObject({
  ...RepoRef,
  title: z.string().min(1).max(256).describe('Issue title.'),
  body: z.string().max(60_000).optional().describe('Issue body in GitHub Markdown.'),
  labels: z
    .array(z.string().min(1))
    .max(100)
    .optional()
    .describe('Label names to set; they must exist in the repository.'),
  assignees: z
    .array(z.string().min(1))
    .max(10)
    .optional()
    .describe('Logins to assign; they must have access to the repository.'),
});

export const IssueRef = z.object({
  number: z.number().int().describe('Issue number in the repository.'),
  id: z.number().int().describe('Global issue id.'),
  url: z.string().describe('Web URL of the issue.'),
  state: z.string().describe('open or closed.'),
});

export const CreateIssueOutput = IssueRef.extend({
  deduplicated: z.boolean().describe('True when a retry found the issue an earlier attempt had created.'),
});

const IssueItem = z.object({
  number: z.number(),
  id: z.number(),
  html_url: z.string(),
  state: z.string(),
  body: z.string().nullable().optional(),
});

const toIssueRef = (issue: z.infer<typeof IssueItem>): z.infer<typeof IssueRef> => ({
  number: issue.number,
  id: issue.id,
  url: issue.html_url,
  state: issue.state,
});

export const createIssue = action({
  key: 'createIssue',
  title: 'Create a GitHub issue',
  description:
    'Open a new issue in a GitHub repository, with optional labels and assignees. Retries do not open duplicates.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the GitHub repository', repositoryOf(withValue)),
  input: CreateIssueInput,
  output: CreateIssueOutput,
  run: (input, ctx) =>
    writeOnce(ctx, {
      async find() {
        const marker = idempotencyMarker(ctx.idempotencyKey);
        const recent = await callGithub('issues.listForRepo', () =>
          ctx.client.issues.listForRepo({
            owner: input.owner,
            repo: input.repo,
            state: 'all',
            sort: 'created',
            direction: 'desc',
            per_page: 30,
          }),
        );
        const earlier = z
          .array(IssueItem)
          .parse(recent.data)
          .find((issue) => issue.body?.includes(marker));
        return earlier ? { ...toIssueRef(earlier), deduplicated: true } : undefined;
      },
      async write() {
        const created = await callGithub('issues.create', () =>
          ctx.client.issues.create({
            owner: input.owner,
            repo: input.repo,
            title: input.title,
            body: withMarker(input.body, ctx.idempotencyKey),
            ...(input.labels ? { labels: input.labels } : {}),
            ...(input.assignees ? { assignees: input.assignees } : {}),
          }),
        );
        return { ...toIssueRef(IssueItem.parse(created.data)), deduplicated: false };
      },
    }),
});
