import { z } from 'zod';
import { Task, toTask } from '../client.ts';
import { rest } from '../kit.ts';

export const ListTasksInput = z.strictObject({
  projectId: z.string().min(1).optional().describe('Only tasks of this project.'),
  sectionId: z.string().min(1).optional().describe('Only tasks of this section.'),
  label: z.string().min(1).optional().describe('Only tasks with this label name.'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(200)
    .describe('At most this many tasks (1–1000, default 200); pages of 200 are fetched as needed.'),
});

const TaskPage = z.object({ results: z.array(z.unknown()), next_cursor: z.string().nullable().optional() });
const PAGE_SIZE = 200;

export const listTasks = rest.list({
  key: 'listTasks',
  title: 'List Todoist tasks',
  description:
    'List the open tasks of a Todoist project, section or label (all open tasks without a filter).',
  effect: 'read',
  idempotent: true,
  input: ListTasksInput,
  output: z.object({
    tasks: z.array(Task).describe('Open tasks in Todoist’s order.'),
    truncated: z.boolean().describe('True when more tasks matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/tasks',
    query: (input) => ({
      project_id: input.projectId,
      section_id: input.sectionId,
      label: input.label,
      limit: Math.min(PAGE_SIZE, input.limit),
    }),
  },
  paginate: {
    style: 'cursor',
    cursorParam: 'cursor',
    items: (body) => TaskPage.parse(body).results,
    nextCursor: (body) => TaskPage.parse(body).next_cursor,
    maxItems: (input) => input.limit,
  },
  project: (collected) => ({ tasks: collected.items.map(toTask), truncated: collected.truncated }),
});
