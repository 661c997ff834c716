import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Id, Issue, IssueFields, Priority, toIssue } from '../client.ts';
import { linearAction } from '../kit.ts';

const Answer = z.object({ issueCreate: z.object({ success: z.boolean(), issue: z.unknown() }) });

export const createIssue = linearAction({
  key: 'createIssue',
  title: 'Create a Linear issue',
  description:
    'Create an issue in a Linear team with a title, a Markdown description, priority, assignee, labels, state, project and due date.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Linear team', withValue.teamId),
  input: z.strictObject({
    teamId: Id('team', '9cfb482a-81e3-4154-b5b9-2c805e70a02d'),
    title: z.string().min(1).max(512).describe('Title, e.g. "Checkout fails with a 500".'),
    description: z.string().max(100_000).optional().describe('Description in Markdown.'),
    priority: Priority.optional(),
    assigneeId: Id('user', 'a1b2c3d4-0000-4000-8000-000000000001').optional(),
    labelIds: z
      .array(Id('label', 'a1b2c3d4-0000-4000-8000-000000000002'))
      .max(50)
      .optional()
      .describe('Label ids (UUIDs).'),
    stateId: Id('workflow state', 'a1b2c3d4-0000-4000-8000-000000000003').optional(),
    projectId: Id('project', 'a1b2c3d4-0000-4000-8000-000000000004').optional(),
    dueDate: z.iso.date().optional().describe('Due date, YYYY-MM-DD.'),
  }),
  output: Issue,
  document: `mutation IssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { ${IssueFields} } }
}`,
  variables: (input) => ({ input }),
  project: (data) => toIssue(Answer.parse(data).issueCreate.issue),
});
