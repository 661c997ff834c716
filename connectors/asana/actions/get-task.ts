import { z } from 'zod';
import { DataEnvelope, Gid, TASK_FIELDS, Task, toTask } from '../client.ts';
import { rest } from '../kit.ts';

export const getTask = rest.action({
  key: 'getTask',
  title: 'Get an Asana task',
  description:
    'Read one Asana task’s name, notes, assignee, due date and projects (e.g. the task a taskCreated trigger names).',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ taskGid: Gid('task') }),
  output: z.object({
    found: z.boolean().describe('Whether the task exists.'),
    task: Task.nullable().describe('The task, or null.'),
  }),
  http: { method: 'GET', path: '/tasks/{taskGid}', query: () => ({ opt_fields: TASK_FIELDS }) },
  project: (response) => ({ found: true, task: toTask(DataEnvelope.parse(response.body).data) }),
  answers: { 404: () => ({ found: false, task: null }) },
});
