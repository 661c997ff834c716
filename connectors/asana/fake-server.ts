import { randomBytes } from 'node:crypto';
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
import { signAsanaPayload } from './triggers/task-created.ts';

export type FakeAsanaTask = {
  gid: string;
  name: string;
  notes: string;
  completed: boolean;
  due_on: string | null;
  assignee: { gid: string; name: string } | null;
  projects: { gid: string; name: string }[];
  parent: string | null;
  created_at: string;
  stories: string[];
};
export type FakeAsanaWebhook = {
  gid: string;
  resource: string;
  target: string;
  secret: string;
  active: boolean;
};

export type AsanaFake = {
  /** Give as env.baseUrls.asana (the API 1.0 root). */
  url: string;
  token: string;
  workspaceGid: string;
  projectGid: string;
  userGid: string;
  requests: RecordedRequest[];
  tasks(): FakeAsanaTask[];
  webhooks(): FakeAsanaWebhook[];
  /** What Asana does when a task is added to a webhook's project: POST the events, signed, to its target. */
  deliverTaskAdded(
    webhook: FakeAsanaWebhook,
    taskGid: string,
    options?: { signature?: string },
  ): Promise<Response>;
  revoke(): void;
  /** Route keys: `POST /tasks`, `PUT /tasks/:gid`, `POST /tasks/:gid/stories`, `POST /webhooks`, … */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export function asanaError(message: string, help?: string) {
  return { errors: [{ message, ...(help ? { help } : {}) }] };
}

let counter = 1_204_567_890_123_456;
const newGid = () => String(counter++);

const TaskInput = z
  .object({
    name: z.string().optional(),
    notes: z.string().optional(),
    completed: z.boolean().optional(),
    due_on: z.string().nullable().optional(),
    assignee: z.string().nullable().optional(),
    projects: z.array(z.string()).optional(),
    workspace: z.string().optional(),
    parent: z.string().optional(),
  })
  .loose();

/**
 * A local Asana REST API 1.0 (https://developers.asana.com/reference): bearer tokens, `{ data }` envelopes, tasks
 * (create, update, get, stories), `GET /projects/{gid}`, webhooks with the real handshake (`POST /webhooks` first
 * POSTs an X-Hook-Secret to the target and needs it echoed in a 200/204), signed event deliveries (X-Hook-Signature),
 * and Asana's `{ errors: [{ message, help }] }` body.
 */
export async function startAsanaFake(): Promise<AsanaFake> {
  const app = Fastify({ logger: false });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  let token = `2/${newGid()}/${newGid()}:${randomBytes(16).toString('hex')}`;
  const workspace = { gid: newGid(), name: 'Acme' };
  const project = { gid: newGid(), name: 'Launch' };
  const user = { gid: newGid(), name: 'Ana Silva', email: 'ana@acme.example' };
  const tasks: FakeAsanaTask[] = [];
  const webhooks: FakeAsanaWebhook[] = [];

  const view = ({ stories: _, parent, ...task }: FakeAsanaTask) => ({
    ...task,
    parent: parent ? { gid: parent } : null,
    workspace: { gid: workspace.gid },
    permalink_url: `https://app.asana.com/0/${task.projects[0]?.gid ?? 0}/${task.gid}`,
    resource_type: 'task',
  });
  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers.authorization === `Bearer ${token}`) return true;
    void reply.code(401).send(asanaError('Not Authorized'));
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(/^\/api\/1\.0/, '')
      .replace(/^\/(tasks|webhooks|projects)\/\d+/, '/$1/:gid');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
    if (!authorized(request, reply)) return reply;
  });

  const findTask = (gid: string, reply: FastifyReply) => {
    const task = tasks.find((candidate) => candidate.gid === gid);
    if (!task)
      void reply
        .code(404)
        .send(
          asanaError(
            `task: Unknown object: ${gid}`,
            'For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors',
          ),
        );
    return task;
  };
  const assigneeOf = (value: string | null | undefined) =>
    value === undefined
      ? undefined
      : value === null
        ? null
        : value === 'me' || value === user.gid || value === user.email
          ? { gid: user.gid, name: user.name }
          : 'unknown';

  app.post('/api/1.0/tasks', async (request, reply) => {
    const body = z.object({ data: TaskInput }).safeParse(request.body);
    if (!body.success)
      return reply.code(400).send(asanaError('data: Missing input', 'The body must be { "data": { … } }.'));
    const input = body.data.data;
    if (!input.projects && !input.workspace && !input.parent)
      return reply
        .code(400)
        .send(
          asanaError(
            'You should specify one of workspace, parent, projects',
            'Give the task a project, a workspace or a parent task.',
          ),
        );
    const unknown = input.projects?.find((gid) => gid !== project.gid);
    if (unknown)
      return reply
        .code(400)
        .send(
          asanaError(
            `projects: [0]: Not a recognized ID: ${unknown}`,
            'Use the gid of a project in this workspace.',
          ),
        );
    const assignee = assigneeOf(input.assignee);
    if (assignee === 'unknown')
      return reply.code(400).send(asanaError(`assignee: Not a recognized ID: ${input.assignee}`));
    const task: FakeAsanaTask = {
      gid: newGid(),
      name: input.name ?? '',
      notes: input.notes ?? '',
      completed: input.completed ?? false,
      due_on: input.due_on ?? null,
      assignee: assignee ?? null,
      projects: input.projects ? [{ gid: project.gid, name: project.name }] : [],
      parent: input.parent ?? null,
      created_at: new Date().toISOString(),
      stories: [],
    };
    tasks.push(task);
    return reply.code(201).send({ data: view(task) });
  });

  app.get<{ Params: { gid: string } }>('/api/1.0/tasks/:gid', async (request, reply) => {
    const task = findTask(request.params.gid, reply);
    return task ? { data: view(task) } : reply;
  });

  app.put<{ Params: { gid: string } }>('/api/1.0/tasks/:gid', async (request, reply) => {
    const task = findTask(request.params.gid, reply);
    if (!task) return reply;
    const body = z.object({ data: TaskInput }).safeParse(request.body);
    if (!body.success) return reply.code(400).send(asanaError('data: Missing input'));
    const input = body.data.data;
    const assignee = assigneeOf(input.assignee);
    if (assignee === 'unknown')
      return reply.code(400).send(asanaError(`assignee: Not a recognized ID: ${input.assignee}`));
    if (input.name !== undefined) task.name = input.name;
    if (input.notes !== undefined) task.notes = input.notes;
    if (input.completed !== undefined) task.completed = input.completed;
    if (input.due_on !== undefined) task.due_on = input.due_on;
    if (assignee !== undefined) task.assignee = assignee;
    return { data: view(task) };
  });

  app.post<{ Params: { gid: string } }>('/api/1.0/tasks/:gid/stories', async (request, reply) => {
    const task = findTask(request.params.gid, reply);
    if (!task) return reply;
    const body = z.object({ data: z.object({ text: z.string().min(1) }) }).safeParse(request.body);
    if (!body.success) return reply.code(400).send(asanaError('text: Missing input'));
    task.stories.push(body.data.data.text);
    return reply.code(201).send({
      data: {
        gid: newGid(),
        resource_type: 'story',
        type: 'comment',
        resource_subtype: 'comment_added',
        text: body.data.data.text,
        created_at: new Date().toISOString(),
        created_by: { gid: user.gid, name: user.name },
      },
    });
  });

  app.get('/api/1.0/users/me', async () => ({ data: { ...user, workspaces: [workspace] } }));

  app.get<{ Params: { gid: string } }>('/api/1.0/projects/:gid', async (request, reply) => {
    if (request.params.gid !== project.gid)
      return reply.code(404).send(asanaError(`project: Unknown object: ${request.params.gid}`));
    return { data: { ...project, workspace } };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/1.0/webhooks',
    async (request, reply) => {
      if (request.query.workspace !== workspace.gid)
        return reply
          .code(400)
          .send(asanaError('workspace: Missing input', 'GET /webhooks needs the workspace parameter.'));
      return {
        data: webhooks
          .filter((hook) => !request.query.resource || hook.resource === request.query.resource)
          .map(({ secret: _, ...hook }) => ({ ...hook, resource: { gid: hook.resource } })),
      };
    },
  );

  app.post('/api/1.0/webhooks', async (request, reply) => {
    const body = z
      .object({
        data: z.object({ resource: z.string(), target: z.url(), filters: z.array(z.unknown()).optional() }),
      })
      .safeParse(request.body);
    if (!body.success) return reply.code(400).send(asanaError('resource: Missing input'));
    const { resource, target } = body.data.data;
    if (resource !== project.gid)
      return reply.code(404).send(asanaError(`resource: Unknown object: ${resource}`));
    // The handshake: Asana POSTs an X-Hook-Secret to the target and needs it echoed back before it answers.
    const secret = randomBytes(16).toString('hex');
    const answer = await fetch(target, { method: 'POST', headers: { 'x-hook-secret': secret } }).catch(
      () => undefined,
    );
    if (
      !answer ||
      (answer.status !== 200 && answer.status !== 204) ||
      answer.headers.get('x-hook-secret') !== secret
    )
      return reply
        .code(400)
        .send(
          asanaError(
            'The remote server did not respond with the handshake secret.',
            `The target answered ${answer?.status ?? 'nothing'}; it must echo X-Hook-Secret in a 200 or 204.`,
          ),
        );
    const webhook = { gid: newGid(), resource, target, secret, active: true };
    webhooks.push(webhook);
    return reply
      .code(201)
      .send({ data: { gid: webhook.gid, resource: { gid: resource }, target, active: true } });
  });

  app.delete<{ Params: { gid: string } }>('/api/1.0/webhooks/:gid', async (request, reply) => {
    const index = webhooks.findIndex((hook) => hook.gid === request.params.gid);
    if (index < 0) return reply.code(404).send(asanaError(`webhook: Unknown object: ${request.params.gid}`));
    webhooks.splice(index, 1);
    return { data: {} };
  });

  const url = `${await listenLocal(app)}/api/1.0`;
  return {
    url,
    get token() {
      return token;
    },
    workspaceGid: workspace.gid,
    projectGid: project.gid,
    userGid: user.gid,
    requests,
    tasks: () => tasks,
    webhooks: () => webhooks,
    async deliverTaskAdded(webhook, taskGid, options = {}) {
      const body = JSON.stringify({
        events: [
          {
            user: { gid: user.gid, resource_type: 'user' },
            created_at: new Date().toISOString(),
            action: 'added',
            resource: { gid: taskGid, resource_type: 'task', resource_subtype: 'default_task' },
            parent: { gid: webhook.resource, resource_type: 'project' },
          },
        ],
      });
      return fetch(webhook.target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hook-signature': options.signature ?? signAsanaPayload(body, webhook.secret),
        },
        body,
      });
    },
    revoke() {
      token = `2/${newGid()}/${newGid()}:${randomBytes(16).toString('hex')}`;
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
