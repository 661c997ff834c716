import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { textToAdf } from '../adf.ts';
import { browseUrl, IssueKey } from '../client.ts';
import { rest } from '../kit.ts';

export const IssueFields = {
  summary: z.string().min(1).max(255).describe('One-line summary, e.g. "Checkout fails with a 500".'),
  description: z
    .string()
    .max(32_000)
    .optional()
    .describe('Plain text; blank lines make paragraphs (sent as Atlassian Document Format).'),
  labels: z
    .array(z.string().regex(/^\S{1,255}$/, 'a label without spaces'))
    .max(50)
    .optional()
    .describe('Labels without spaces, e.g. ["customer", "checkout"].'),
  priority: z.string().min(1).max(60).optional().describe('Priority name, e.g. "High".'),
  assigneeAccountId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Atlassian account id of the assignee, e.g. "5b10ac8d82e05b22cc7d4ef5".'),
  dueDate: z.iso.date().optional().describe('Due date, YYYY-MM-DD, e.g. "2026-12-24".'),
};

export const CreateIssueInput = z.strictObject({
  projectKey: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,9}$/, 'a project key such as "SUP"')
    .describe('The project key, e.g. "SUP".'),
  issueType: z
    .string()
    .min(1)
    .max(60)
    .default('Task')
    .describe('Issue type name, e.g. "Bug"; default "Task".'),
  ...IssueFields,
  summary: IssueFields.summary,
  parentKey: IssueKey.optional().describe(
    'Parent issue or epic key, e.g. "SUP-7" (for a sub-task or a child of an epic).',
  ),
});

const Created = z.object({ id: z.string(), key: z.string(), self: z.string().optional() });

export const createIssue = rest.action({
  key: 'createIssue',
  title: 'Create a Jira issue',
  description:
    'Create an issue (task, bug, story…) in a Jira Cloud project with a summary, a plain-text description, labels, priority, assignee and due date.',
  effect: 'write',
  // Jira has no idempotency key for issue creation: a retry after a lost answer can create a second issue.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Jira project', withValue.projectKey, { 'issue type': withValue.issueType }),
  input: CreateIssueInput,
  output: z.object({
    id: z.string().describe('Jira’s numeric issue id.'),
    key: z.string().describe('The new issue key, e.g. "SUP-43".'),
    url: z.string().describe('Link to the issue in Jira.'),
  }),
  http: {
    method: 'POST',
    path: '/issue',
    json: (input) => ({
      fields: {
        project: { key: input.projectKey },
        issuetype: { name: input.issueType },
        summary: input.summary,
        ...(input.description === undefined ? {} : { description: textToAdf(input.description) }),
        ...(input.labels ? { labels: input.labels } : {}),
        ...(input.priority ? { priority: { name: input.priority } } : {}),
        ...(input.assigneeAccountId ? { assignee: { accountId: input.assigneeAccountId } } : {}),
        ...(input.parentKey ? { parent: { key: input.parentKey } } : {}),
        ...(input.dueDate ? { duedate: input.dueDate } : {}),
      },
    }),
  },
  project: (response) => {
    const created = Created.parse(response.body);
    return { id: created.id, key: created.key, url: browseUrl(created.self, created.key) };
  },
});
