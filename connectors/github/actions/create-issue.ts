import { z } from 'zod';
import { callGithub, idempotencyMarker, RepoRef, withMarker } from '../client.ts';
import { action } from '../kit.ts';

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

export const createIssue = action({
  key: 'createIssue',
  title: 'Create a GitHub issue',
  description:
    'Open a new issue in a GitHub repository, with optional labels and assignees. Retries do not open duplicates.',
  effect: 'write',
  idempotent: true,
  input: CreateIssueInput,
  output: CreateIssueOutput,
  async run(input, ctx) {
    const marker = idempotencyMarker(ctx.idempotencyKey);
    if (ctx.attempt > 1) {
      try {
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
        if (earlier) {
          return {
            number: earlier.number,
            id: earlier.id,
            url: earlier.html_url,
            state: earlier.state,
            deduplicated: true,
          };
        }
      } catch (error) {
        ctx.logger.warn(
          { err: error },
          'github.createIssue: could not check for an earlier attempt; creating',
        );
      }
    }
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
    const issue = IssueItem.parse(created.data);
    return {
      number: issue.number,
      id: issue.id,
      url: issue.html_url,
      state: issue.state,
      deduplicated: false,
    };
  },
});
