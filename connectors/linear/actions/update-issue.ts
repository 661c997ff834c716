import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Id, Issue, IssueFields, IssueRef, Priority, toIssue } from '../client.ts';
import { linearAction } from '../kit.ts';

const Answer = z.object({ issueUpdate: z.object({ success: z.boolean(), issue: z.unknown() }) });

export const updateIssue = linearAction({
  key: 'updateIssue',
  title: 'Update a Linear issue',
  description:
    'Change a Linear issue’s title, description, priority, state (e.g. move it to Done), assignee, labels or due date.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Linear issue', withValue.issueId),
  input: z
    .strictObject({
      issueId: IssueRef,
      title: z.string().min(1).max(512).optional().describe('A new title.'),
      description: z.string().max(100_000).optional().describe('A new description (Markdown).'),
      priority: Priority.optional(),
      stateId: Id('workflow state', 'a1b2c3d4-0000-4000-8000-000000000003').optional(),
      assigneeId: Id('user', 'a1b2c3d4-0000-4000-8000-000000000001')
        .nullable()
        .optional()
        .describe('The new assignee’s id (UUID), or null to unassign.'),
      labelIds: z
        .array(Id('label', 'a1b2c3d4-0000-4000-8000-000000000002'))
        .max(50)
        .optional()
        .describe('Replaces all labels (UUIDs).'),
      dueDate: z.iso.date().nullable().optional().describe('Due date, YYYY-MM-DD, or null to clear it.'),
    })
    .refine(
      (input) => Object.entries(input).some(([field, value]) => field !== 'issueId' && value !== undefined),
      {
        message: 'Give at least one field to change.',
      },
    ),
  output: Issue,
  document: `mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { ${IssueFields} } }
}`,
  variables: ({ issueId, ...input }) => ({ id: issueId, input }),
  project: (data) => toIssue(Answer.parse(data).issueUpdate.issue),
});
