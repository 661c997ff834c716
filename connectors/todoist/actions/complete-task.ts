import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { rest } from '../kit.ts';

export const CompleteTaskInput = z.strictObject({
  taskId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a Todoist task id')
    .describe('The task id, e.g. from createTask or listTasks.'),
});

export const completeTask = rest.action({
  key: 'completeTask',
  title: 'Complete a Todoist task',
  description:
    'Mark a Todoist task as done (a recurring task moves to its next date). Completing a completed task is fine.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the Todoist task', withValue.taskId),
  input: CompleteTaskInput,
  output: z.object({
    taskId: z.string().describe('The task that was completed.'),
    completed: z.literal(true).describe('Always true.'),
  }),
  http: { method: 'POST', path: '/tasks/{taskId}/close' },
  project: (_, input) => ({ taskId: input.taskId, completed: true as const }),
});
