import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { DataEnvelope, Gid, TASK_FIELDS, Task, toTask } from '../client.ts';
import { rest } from '../kit.ts';

export const updateTask = rest.action({
  key: 'updateTask',
  title: 'Update an Asana task',
  description:
    'Change an Asana task: rename it, edit its notes, (re)assign it, set the due date, or mark it done.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Asana task', withValue.taskGid),
  input: z
    .strictObject({
      taskGid: Gid('task'),
      name: z.string().min(1).max(1024).optional().describe('A new name.'),
      notes: z.string().max(65_000).optional().describe('New notes (replaces them).'),
      completed: z.boolean().optional().describe('true marks it done, false reopens it.'),
      assignee: z
        .string()
        .min(1)
        .max(254)
        .nullable()
        .optional()
        .describe('A user gid, an email, "me", or null to unassign.'),
      dueOn: z.iso.date().nullable().optional().describe('Due date, YYYY-MM-DD, or null to clear it.'),
    })
    .refine(
      (input) => Object.entries(input).some(([field, value]) => field !== 'taskGid' && value !== undefined),
      {
        message: 'Give at least one field to change.',
      },
    ),
  output: Task,
  http: {
    method: 'PUT',
    path: '/tasks/{taskGid}',
    query: () => ({ opt_fields: TASK_FIELDS }),
    json: (input) => ({
      data: {
        name: input.name,
        notes: input.notes,
        completed: input.completed,
        assignee: input.assignee,
        due_on: input.dueOn,
      },
    }),
  },
  project: (response) => toTask(DataEnvelope.parse(response.body).data),
});
