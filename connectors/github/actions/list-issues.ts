import { z } from 'zod';
import { callGithub, RepoRef } from '../client.ts';
import { action } from '../kit.ts';

export const ListIssuesInput = z.strictObject({
  ...RepoRef,
  state: z
    .enum(['open', 'closed', 'all'])
    .default('open')
    .describe('Which issues: open (default), closed or all.'),
  labels: z.array(z.string().min(1)).optional().describe('Only issues that have all of these labels.'),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only issues updated at or after this ISO time.'),
  perPage: z.number().int().min(1).max(100).default(30).describe('Page size, 1-100 (default 30).'),
  page: z.number().int().min(1).default(1).describe('Page number, starting at 1.'),
  includePullRequests: z
    .boolean()
    .default(false)
    .describe('GitHub lists pull requests as issues too; they are left out unless this is true.'),
});

const IssueSummary = z.object({
  number: z.number().int().describe('Issue number.'),
  title: z.string().describe('Title.'),
  state: z.string().describe('open or closed.'),
  url: z.string().describe('Web URL.'),
  labels: z.array(z.string()).describe('Label names.'),
  author: z.string().nullable().describe('Login of the author.'),
  createdAt: z.string().describe('ISO creation time.'),
  isPullRequest: z.boolean().describe('True for pull requests.'),
});

export const ListIssuesOutput = z.object({
  issues: z.array(IssueSummary).describe('Newest first.'),
});

const RawIssue = z.object({
  number: z.number(),
  title: z.string(),
  state: z.string(),
  html_url: z.string(),
  labels: z.array(z.union([z.string(), z.object({ name: z.string().optional() })])),
  user: z.object({ login: z.string() }).nullable().optional(),
  created_at: z.string(),
  pull_request: z.unknown().optional(),
});

export const listIssues = action({
  key: 'listIssues',
  title: 'List GitHub issues',
  description: 'List the issues of a GitHub repository, filtered by state, labels and update time.',
  effect: 'read',
  idempotent: true,
  input: ListIssuesInput,
  output: ListIssuesOutput,
  async run(input, ctx) {
    const result = await callGithub('issues.listForRepo', () =>
      ctx.client.issues.listForRepo({
        owner: input.owner,
        repo: input.repo,
        state: input.state,
        ...(input.labels ? { labels: input.labels.join(',') } : {}),
        ...(input.since ? { since: input.since } : {}),
        per_page: input.perPage,
        page: input.page,
      }),
    );
    const issues = z
      .array(RawIssue)
      .parse(result.data)
      .filter((issue) => input.includePullRequests || issue.pull_request === undefined)
      .map((issue) => ({
        number: issue.number,
        title: issue.title,
        state: issue.state,
        url: issue.html_url,
        labels: issue.labels.map((label) => (typeof label === 'string' ? label : (label.name ?? ''))),
        author: issue.user?.login ?? null,
        createdAt: issue.created_at,
        isPullRequest: issue.pull_request !== undefined,
      }));
    return { issues };
  },
});
