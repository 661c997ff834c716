import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { textToAdf } from '../adf.ts';
import { IssueKey } from '../client.ts';
import { rest } from '../kit.ts';
import { IssueFields } from './create-issue.ts';

export const UpdateIssueInput = z
  .strictObject({
    issueKey: IssueKey,
    summary: IssueFields.summary.optional(),
    description: IssueFields.description,
    labels: IssueFields.labels.describe('Replaces all labels, e.g. ["triaged"].'),
    addLabels: z
      .array(z.string().regex(/^\S{1,255}$/, 'a label without spaces'))
      .max(50)
      .optional()
      .describe('Labels to add to the ones it has, e.g. ["escalated"].'),
    priority: IssueFields.priority,
    assigneeAccountId: IssueFields.assigneeAccountId
      .nullable()
      .describe('Atlassian account id of the new assignee, or null to unassign.'),
    dueDate: IssueFields.dueDate,
    notifyUsers: z.boolean().default(true).describe('Send Jira’s change notification emails (default true).'),
  })
  .refine(
    (input) =>
      ['summary', 'description', 'labels', 'addLabels', 'priority', 'assigneeAccountId', 'dueDate'].some(
        (field) => input[field as keyof typeof input] !== undefined,
      ),
    { message: 'Give at least one field to change (summary, description, labels, priority, …).' },
  );

export const updateIssue = rest.action({
  key: 'updateIssue',
  title: 'Update a Jira issue',
  description:
    'Change fields of an existing Jira issue: summary, description, labels (replace or add), priority, assignee, due date. Use transitionIssue to change its status.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Jira issue', withValue.issueKey),
  input: UpdateIssueInput,
  output: z.object({
    issueKey: z.string().describe('The issue that was changed.'),
    updated: z.literal(true).describe('Always true.'),
  }),
  http: {
    method: 'PUT',
    path: '/issue/{issueKey}',
    query: (input) => ({ notifyUsers: input.notifyUsers }),
    json: (input) => ({
      fields: {
        ...(input.summary === undefined ? {} : { summary: input.summary }),
        ...(input.description === undefined ? {} : { description: textToAdf(input.description) }),
        ...(input.labels === undefined ? {} : { labels: input.labels }),
        ...(input.priority === undefined ? {} : { priority: { name: input.priority } }),
        ...(input.assigneeAccountId === undefined
          ? {}
          : { assignee: input.assigneeAccountId === null ? null : { accountId: input.assigneeAccountId } }),
        ...(input.dueDate === undefined ? {} : { duedate: input.dueDate }),
      },
      ...(input.addLabels ? { update: { labels: input.addLabels.map((label) => ({ add: label })) } } : {}),
    }),
  },
  project: (_, input) => ({ issueKey: input.issueKey, updated: true as const }),
});
