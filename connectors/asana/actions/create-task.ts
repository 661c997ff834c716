import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { DataEnvelope, Gid, TASK_FIELDS, Task, toTask } from '../client.ts';
import { rest } from '../kit.ts';

export const createTask = rest.action({
  key: 'createTask',
  title: 'Create an Asana task',
  description:
    'Create a task in an Asana project (or a workspace’s My Tasks) with notes, assignee and due date; or a subtask of another task.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Asana project', withValue.projectGid ?? withValue.parentGid ?? withValue.workspaceGid),
  input: z
    .strictObject({
      name: z.string().min(1).max(1024).describe('Task name, e.g. "Send the contract to Ana".'),
      notes: z.string().max(65_000).optional().describe('Description (plain text).'),
      projectGid: Gid('project').optional(),
      workspaceGid: Gid('workspace').optional().describe('The workspace, for a task in no project (digits).'),
      parentGid: Gid('parent task').optional().describe('Make it a subtask of this task (digits).'),
      assignee: z
        .string()
        .min(1)
        .max(254)
        .optional()
        .describe('The assignee: a user gid, an email, or "me".'),
      dueOn: z.iso.date().optional().describe('Due date, YYYY-MM-DD.'),
    })
    .refine((input) => Boolean(input.projectGid ?? input.workspaceGid ?? input.parentGid), {
      message: 'Give projectGid, workspaceGid or parentGid: Asana needs to know where the task goes.',
    }),
  output: Task,
  http: {
    method: 'POST',
    path: '/tasks',
    query: () => ({ opt_fields: TASK_FIELDS }),
    json: (input) => ({
      data: {
        name: input.name,
        notes: input.notes,
        ...(input.projectGid ? { projects: [input.projectGid] } : {}),
        workspace: input.workspaceGid,
        parent: input.parentGid,
        assignee: input.assignee,
        due_on: input.dueOn,
      },
    }),
  },
  project: (response) => toTask(DataEnvelope.parse(response.body).data),
});
