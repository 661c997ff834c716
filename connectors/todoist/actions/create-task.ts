import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { requestIdOf, Task, toTask } from '../client.ts';
import { rest } from '../kit.ts';

export const CreateTaskInput = z.strictObject({
  content: z
    .string()
    .min(1)
    .max(500)
    .describe('The task name (Markdown allowed), e.g. "Call Ana about the offer".'),
  description: z.string().max(16_383).optional().describe('A longer description.'),
  projectId: z.string().min(1).optional().describe('Project id; default: the Inbox.'),
  sectionId: z.string().min(1).optional().describe('Section id inside the project.'),
  parentId: z.string().min(1).optional().describe('Make it a sub-task of this task id.'),
  labels: z
    .array(z.string().min(1).max(60))
    .max(50)
    .optional()
    .describe('Label names (created when missing).'),
  priority: z
    .number()
    .int()
    .min(1)
    .max(4)
    .optional()
    .describe('1 (normal, default) to 4 (urgent, "p1" in the app).'),
  dueString: z
    .string()
    .max(200)
    .optional()
    .describe('A due date in words, e.g. "tomorrow at 9", "every friday" (Todoist parses it).'),
  dueDate: z.iso.date().optional().describe('A due date, YYYY-MM-DD (instead of dueString).'),
  dueLang: z.string().length(2).optional().describe('Language of dueString, e.g. "de"; default English.'),
});

export const createTask = rest.action({
  key: 'createTask',
  title: 'Create a Todoist task',
  description:
    'Add a task to a Todoist project (or the Inbox) with labels, priority and a due date in words.',
  effect: 'write',
  // Todoist drops a repeated X-Request-Id, but only for a short while: a retry much later may add a second task.
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the Todoist project', withValue.projectId ?? 'Inbox', { section: withValue.sectionId }),
  input: CreateTaskInput,
  output: Task,
  http: {
    method: 'POST',
    path: '/tasks',
    json: (input) => ({
      content: input.content,
      description: input.description,
      project_id: input.projectId,
      section_id: input.sectionId,
      parent_id: input.parentId,
      labels: input.labels,
      priority: input.priority,
      due_string: input.dueString,
      due_date: input.dueDate,
      due_lang: input.dueLang,
    }),
    headers: (_, ctx) => ({ 'x-request-id': requestIdOf(ctx.idempotencyKey) }),
  },
  project: (response) => toTask(response.body),
});
