import { createHash } from 'node:crypto';
import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import type { RestApi } from '../sdk/rest/index.ts';

export const TODOIST_API_URL = 'https://api.todoist.com/api/v1';

export const TodoistCredential = z.strictObject({
  token: z
    .string()
    .regex(/^[A-Za-z0-9]{20,64}$/, 'a Todoist API token (40 hex characters from Settings → Integrations)')
    .describe('The personal API token, or an OAuth access token of a Todoist app.'),
});
export type TodoistCredential = z.infer<typeof TodoistCredential>;

const TodoistErrorBody = z.object({
  error: z.string().optional(),
  error_tag: z.string().optional(),
  error_code: z.number().optional(),
  error_extra: z.object({ retry_after: z.number().optional() }).loose().optional(),
});

/** Todoist's unified API v1 (REST); the error body is `{ error, error_code, error_tag, error_extra, http_code }`. */
export const todoistApi: RestApi<TodoistCredential> = {
  connector: 'todoist',
  baseUrl: TODOIST_API_URL,
  auth: (credential) => bindAuth(bearerStyle, { token: credential.token }),
  vendorError(body) {
    const parsed = TodoistErrorBody.safeParse(body);
    if (!parsed.success) return undefined;
    const retryAfter = parsed.data.error_extra?.retry_after;
    return {
      message: parsed.data.error,
      vendorCode: parsed.data.error_tag,
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter * 1000 }),
    };
  },
  hints: {
    400: 'Change the field the message names (a project_id must be one of your projects, priority is 1–4).',
    401: 'The Todoist token was revoked or is wrong: copy it again from Settings → Integrations → Developer and store it with `vmesh credentials set NAME --type todoist`.',
    403: 'The token cannot see this project or task (a shared project you left, or an app token without the data:read_write scope).',
    404: 'Check the task or project id: it does not exist or was deleted.',
  },
};

/** Todoist's `X-Request-Id` (at most 36 characters), the same on every retry of one step. */
export function requestIdOf(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 36);
}

const TodoistDue = z
  .object({
    date: z.string(),
    string: z.string().optional(),
    is_recurring: z.boolean().optional(),
    datetime: z.string().nullable().optional(),
    timezone: z.string().nullable().optional(),
  })
  .nullable()
  .optional();

/** A task as Todoist API v1 answers it (the fields this connector reads). */
export const TodoistTaskBody = z.object({
  id: z.string(),
  content: z.string(),
  description: z.string().default(''),
  project_id: z.string(),
  section_id: z.string().nullable().optional(),
  parent_id: z.string().nullable().optional(),
  labels: z.array(z.string()).default([]),
  priority: z.number().int(),
  due: TodoistDue,
  checked: z.boolean().default(false),
  added_at: z.string().nullable().optional(),
});

export const Task = z.object({
  id: z.string().describe('Task id.'),
  content: z.string().describe('The task name (Markdown).'),
  description: z.string().describe('The task description.'),
  projectId: z.string().describe('Project id.'),
  sectionId: z.string().nullable().describe('Section id, or null.'),
  labels: z.array(z.string()).describe('Label names.'),
  priority: z.number().int().describe('1 (normal) to 4 (urgent; shown as "p1" in the app).'),
  due: z
    .object({
      date: z.string().describe('Due date, YYYY-MM-DD.'),
      datetime: z.string().nullable().describe('Due time (ISO), when the task has one.'),
      text: z.string().nullable().describe('The due date as a person wrote it, e.g. "every monday".'),
      recurring: z.boolean().describe('Whether it repeats.'),
    })
    .nullable()
    .describe('The due date, or null.'),
  completed: z.boolean().describe('Whether it is completed.'),
  url: z.string().describe('Link to the task in the Todoist app.'),
});
export type Task = z.infer<typeof Task>;

export function toTask(raw: unknown): Task {
  const task = TodoistTaskBody.parse(raw);
  return {
    id: task.id,
    content: task.content,
    description: task.description,
    projectId: task.project_id,
    sectionId: task.section_id ?? null,
    labels: task.labels,
    priority: task.priority,
    due: task.due
      ? {
          date: task.due.date,
          datetime: task.due.datetime ?? null,
          text: task.due.string ?? null,
          recurring: task.due.is_recurring ?? false,
        }
      : null,
    completed: task.checked,
    url: `https://app.todoist.com/app/task/${encodeURIComponent(task.id)}`,
  };
}
