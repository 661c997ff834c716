import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeTodoistTask = {
  id: string;
  user_id: string;
  project_id: string;
  section_id: string | null;
  parent_id: string | null;
  content: string;
  description: string;
  labels: string[];
  priority: number;
  due: {
    date: string;
    string: string;
    lang: string;
    is_recurring: boolean;
    datetime: string | null;
    timezone: string | null;
  } | null;
  checked: boolean;
  is_deleted: boolean;
  added_at: string;
  completed_at: string | null;
  updated_at: string;
  child_order: number;
};

export type TodoistFake = {
  /** Give as env.baseUrls.todoist (the API v1 root). */
  url: string;
  token: string;
  inboxId: string;
  requests: RecordedRequest[];
  tasks(): FakeTodoistTask[];
  /** Adds open tasks directly (for listing and pagination tests). */
  seed(count: number, projectId?: string): void;
  /** The token stops working, as after "Reset API token" in Todoist's settings. */
  revoke(): void;
  /** Route keys: `POST /tasks`, `POST /tasks/:id/close`, `GET /tasks`. Supports `applyFirst` for `POST /tasks`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** Todoist API v1's error body. */
export function todoistError(
  status: number,
  error: string,
  tag: string,
  code: number,
  extra: Record<string, unknown> = {},
) {
  return { error, error_code: code, error_extra: extra, error_tag: tag, http_code: status };
}

const CreateBody = z.object({
  content: z.string().min(1).optional(),
  description: z.string().optional(),
  project_id: z.string().optional(),
  section_id: z.string().optional(),
  parent_id: z.string().optional(),
  labels: z.array(z.string()).optional(),
  priority: z.number().int().optional(),
  due_string: z.string().optional(),
  due_date: z.string().optional(),
  due_lang: z.string().optional(),
});

const PAGE_MAX = 200;

/**
 * A local Todoist API v1 (https://developer.todoist.com/api/v1): bearer tokens, `POST /tasks` with `X-Request-Id`
 * deduplication, `POST /tasks/{id}/close` (204), `GET /tasks` paged by `limit` (≤ 200) and an opaque `cursor`
 * answering `{ results, next_cursor }`, `GET /projects`, and the v1 error body on every failure.
 */
export async function startTodoistFake(): Promise<TodoistFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const tasks: FakeTodoistTask[] = [];
  const byRequestId = new Map<string, FakeTodoistTask>();
  const inboxId = '6Jf8VQXxpwv56VQ7';
  let token = 'a2f9c4d1e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3';
  let nextId = 1;

  const newTask = (fields: Partial<FakeTodoistTask>): FakeTodoistTask => {
    const now = new Date().toISOString();
    const task: FakeTodoistTask = {
      id: `6X7rM8${String(nextId++).padStart(10, '0')}`,
      user_id: '2671355',
      project_id: inboxId,
      section_id: null,
      parent_id: null,
      content: '',
      description: '',
      labels: [],
      priority: 1,
      due: null,
      checked: false,
      is_deleted: false,
      added_at: now,
      completed_at: null,
      updated_at: now,
      child_order: tasks.length + 1,
      ...fields,
    };
    tasks.push(task);
    return task;
  };

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers.authorization === `Bearer ${token}`) return true;
    void reply.code(401).send(todoistError(401, 'Unauthorized', 'AUTH_INVALID_TOKEN', 401));
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(/^\/api\/v1/, '')
      .replace(/\/tasks\/[^/]+\/close$/, '/tasks/:id/close');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure && !failure.applyFirst) return sendFailure(reply, failure);
    if (failure) (request as FastifyRequest & { lostAnswer?: InjectedFailure }).lostAnswer = failure;
  });

  app.post('/api/v1/tasks', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const body = CreateBody.safeParse(request.body ?? {});
    if (!body.success)
      return reply.code(400).send(todoistError(400, 'Invalid argument value', 'INVALID_ARGUMENT_VALUE', 20));
    if (!body.data.content) {
      return reply
        .code(400)
        .send(
          todoistError(400, 'Required argument is missing', 'ARGUMENT_MISSING', 19, { argument: 'content' }),
        );
    }
    const priority = body.data.priority ?? 1;
    if (priority < 1 || priority > 4) {
      return reply
        .code(400)
        .send(
          todoistError(400, 'Invalid argument value', 'INVALID_ARGUMENT_VALUE', 20, { argument: 'priority' }),
        );
    }
    if (
      body.data.project_id &&
      body.data.project_id !== inboxId &&
      !tasks.some((task) => task.project_id === body.data.project_id)
    ) {
      return reply
        .code(404)
        .send(todoistError(404, 'Project not found', 'NOT_FOUND', 478, { argument: 'project_id' }));
    }
    const requestId = request.headers['x-request-id'];
    const earlier = typeof requestId === 'string' ? byRequestId.get(requestId) : undefined;
    const dueText = body.data.due_string ?? body.data.due_date;
    const task =
      earlier ??
      newTask({
        content: body.data.content,
        description: body.data.description ?? '',
        project_id: body.data.project_id ?? inboxId,
        section_id: body.data.section_id ?? null,
        parent_id: body.data.parent_id ?? null,
        labels: body.data.labels ?? [],
        priority,
        due: dueText
          ? {
              date: body.data.due_date ?? '2026-12-05',
              string: dueText,
              lang: body.data.due_lang ?? 'en',
              is_recurring: /^every\b/i.test(dueText),
              datetime: null,
              timezone: null,
            }
          : null,
      });
    if (typeof requestId === 'string') byRequestId.set(requestId, task);
    const lost = (request as FastifyRequest & { lostAnswer?: InjectedFailure }).lostAnswer;
    if (lost) return sendFailure(reply, lost);
    return reply.code(200).send(task);
  });

  app.post<{ Params: { id: string } }>('/api/v1/tasks/:id/close', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const task = tasks.find((candidate) => candidate.id === request.params.id && !candidate.is_deleted);
    if (!task) return reply.code(404).send(todoistError(404, 'Task not found', 'NOT_FOUND', 478));
    task.checked = true;
    task.completed_at = new Date().toISOString();
    return reply.code(204).send();
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/tasks', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const { project_id, section_id, label, cursor } = request.query;
    const limit = Number(request.query.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) {
      return reply
        .code(400)
        .send(
          todoistError(400, 'Invalid argument value', 'INVALID_ARGUMENT_VALUE', 20, { argument: 'limit' }),
        );
    }
    const open = tasks.filter(
      (task) =>
        !task.checked &&
        !task.is_deleted &&
        (!project_id || task.project_id === project_id) &&
        (!section_id || task.section_id === section_id) &&
        (!label || task.labels.includes(label)),
    );
    const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) {
      return reply
        .code(400)
        .send(todoistError(400, 'Invalid cursor', 'INVALID_ARGUMENT_VALUE', 20, { argument: 'cursor' }));
    }
    const results = open.slice(start, start + limit);
    const next =
      start + limit < open.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
    return { results, next_cursor: next };
  });

  app.get('/api/v1/projects', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return { results: [{ id: inboxId, name: 'Inbox', inbox_project: true }], next_cursor: null };
  });

  const url = `${await listenLocal(app)}/api/v1`;
  return {
    url,
    get token() {
      return token;
    },
    inboxId,
    requests,
    tasks: () => tasks,
    seed(count, projectId = inboxId) {
      for (let index = 0; index < count; index++)
        newTask({ content: `Seeded task ${index + 1}`, project_id: projectId });
    },
    revoke() {
      token = 'f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d';
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
