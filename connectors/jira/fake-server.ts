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

export type FakeJiraIssue = {
  id: string;
  key: string;
  fields: {
    project: { key: string };
    issuetype: { name: string };
    summary: string;
    description: unknown;
    labels: string[];
    priority: { name: string } | null;
    assignee: { accountId: string; displayName: string } | null;
    status: { name: string };
    duedate: string | null;
    created: string;
    updated: string;
  };
  comments: { id: string; body: unknown; created: string }[];
};

export type JiraFake = {
  /** Give as env.baseUrls.jira (the REST v3 root). */
  url: string;
  email: string;
  apiToken: string;
  requests: RecordedRequest[];
  issues(): FakeJiraIssue[];
  seed(count: number, projectKey?: string): void;
  /** The API token stops working, as after "Revoke" at id.atlassian.com. */
  revoke(): void;
  /** Route keys: `POST /issue`, `PUT /issue/:key`, `POST /issue/:key/comment`, `POST /search/jql`, … */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** Jira's error body. */
export function jiraError(errorMessages: string[], errors: Record<string, string> = {}) {
  return { errorMessages, errors };
}

const PROJECTS = new Set(['SUP', 'ENG']);
const ISSUE_TYPES = new Set(['Task', 'Bug', 'Story', 'Epic']);
const PRIORITIES = new Set(['Highest', 'High', 'Medium', 'Low', 'Lowest']);
const WORKFLOW: Record<string, { id: string; name: string; to: string }[]> = {
  'To Do': [
    { id: '11', name: 'Start progress', to: 'In Progress' },
    { id: '31', name: 'Done', to: 'Done' },
  ],
  'In Progress': [
    { id: '21', name: 'Stop progress', to: 'To Do' },
    { id: '31', name: 'Done', to: 'Done' },
  ],
  Done: [{ id: '41', name: 'Reopen', to: 'To Do' }],
};

const Adf = z.object({ type: z.literal('doc'), version: z.literal(1), content: z.array(z.unknown()) });
const Fields = z
  .object({
    project: z.object({ key: z.string() }).optional(),
    issuetype: z.object({ name: z.string() }).optional(),
    summary: z.string().optional(),
    description: z.unknown().optional(),
    labels: z.array(z.string()).optional(),
    priority: z.object({ name: z.string() }).optional(),
    assignee: z.object({ accountId: z.string() }).nullable().optional(),
    duedate: z.string().optional(),
    parent: z.object({ key: z.string() }).optional(),
  })
  .loose();

/**
 * A local Jira Cloud REST v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3): basic auth with email
 * and API token, issues (create, get, edit), comments and transitions with ADF bodies, `POST /search/jql` paged by
 * `nextPageToken`, `GET /myself`, Jira's `{ errorMessages, errors }` error body, and injected failures (429 with
 * Retry-After).
 */
export async function startJiraFake(): Promise<JiraFake> {
  const app = Fastify({ logger: false });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const email = 'ana@acme.example';
  let apiToken = 'ATATT3xFfGF0jiraFakeToken0123456789';
  const issues: FakeJiraIssue[] = [];
  const counters = new Map<string, number>();
  let nextId = 10_000;
  let base = '';

  const newIssue = (projectKey: string, fields: Partial<FakeJiraIssue['fields']>): FakeJiraIssue => {
    const number = (counters.get(projectKey) ?? 0) + 1;
    counters.set(projectKey, number);
    const now = new Date().toISOString().replace('Z', '+0000');
    const issue: FakeJiraIssue = {
      id: String(nextId++),
      key: `${projectKey}-${number}`,
      fields: {
        project: { key: projectKey },
        issuetype: { name: 'Task' },
        summary: '',
        description: null,
        labels: [],
        priority: { name: 'Medium' },
        assignee: null,
        status: { name: 'To Do' },
        duedate: null,
        created: now,
        updated: now,
        ...fields,
      },
      comments: [],
    };
    issues.push(issue);
    return issue;
  };
  const view = (issue: FakeJiraIssue) => ({
    id: issue.id,
    key: issue.key,
    self: `${base}/issue/${issue.id}`,
    fields: issue.fields,
  });
  const find = (key: string) => issues.find((issue) => issue.key === key || issue.id === key);
  const missing = (reply: FastifyReply) =>
    reply.code(404).send(jiraError(['Issue does not exist or you do not have permission to see it.']));

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const expected = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
    if (request.headers.authorization === expected) return true;
    void reply
      .code(401)
      .header('content-type', 'text/plain')
      .send('Client must be authenticated to access this resource.');
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(/^\/rest\/api\/3/, '')
      .replace(/^\/issue\/[^/]+/, '/issue/:key');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
    if (!authorized(request, reply)) return reply;
  });

  const checkFields = (fields: z.infer<typeof Fields>, creating: boolean): Record<string, string> => {
    const errors: Record<string, string> = {};
    if (creating && (!fields.project || !PROJECTS.has(fields.project.key)))
      errors.project = 'valid project is required';
    if (creating && (!fields.issuetype || !ISSUE_TYPES.has(fields.issuetype.name)))
      errors.issuetype = 'Specify a valid issue type';
    if ((creating || fields.summary !== undefined) && !fields.summary?.trim())
      errors.summary = 'You must specify a summary of the issue.';
    if (
      fields.description !== undefined &&
      fields.description !== null &&
      !Adf.safeParse(fields.description).success
    )
      errors.description =
        'Operation value must be an Atlassian Document (see the Atlassian Document Format).';
    if (fields.priority && !PRIORITIES.has(fields.priority.name))
      errors.priority = `Specify the Priority (name) in the string format`;
    if (fields.labels?.some((label) => /\s/.test(label))) errors.labels = 'The label cannot contain spaces.';
    if (fields.parent && !find(fields.parent.key)) errors.parent = 'Could not find issue by id or key.';
    return errors;
  };

  app.post('/rest/api/3/issue', async (request, reply) => {
    const body = z.object({ fields: Fields }).safeParse(request.body);
    if (!body.success) return reply.code(400).send(jiraError(['No fields were given.']));
    const { fields } = body.data;
    const errors = checkFields(fields, true);
    if (Object.keys(errors).length > 0) return reply.code(400).send(jiraError([], errors));
    const issue = newIssue(fields.project?.key ?? '', {
      issuetype: { name: fields.issuetype?.name ?? 'Task' },
      summary: fields.summary ?? '',
      description: fields.description ?? null,
      labels: fields.labels ?? [],
      priority: fields.priority ? { name: fields.priority.name } : { name: 'Medium' },
      assignee: fields.assignee ? { accountId: fields.assignee.accountId, displayName: 'Assignee' } : null,
      duedate: fields.duedate ?? null,
    });
    return reply.code(201).send({ id: issue.id, key: issue.key, self: `${base}/issue/${issue.id}` });
  });

  app.get<{ Params: { key: string } }>('/rest/api/3/issue/:key', async (request, reply) => {
    const issue = find(request.params.key);
    return issue ? view(issue) : missing(reply);
  });

  app.put<{ Params: { key: string } }>('/rest/api/3/issue/:key', async (request, reply) => {
    const issue = find(request.params.key);
    if (!issue) return missing(reply);
    const body = z
      .object({
        fields: Fields.optional(),
        update: z.object({ labels: z.array(z.object({ add: z.string() })).optional() }).optional(),
      })
      .safeParse(request.body);
    if (!body.success) return reply.code(400).send(jiraError(['Bad request.']));
    const fields = body.data.fields ?? {};
    const errors = checkFields(fields, false);
    if (Object.keys(errors).length > 0) return reply.code(400).send(jiraError([], errors));
    if (fields.summary !== undefined) issue.fields.summary = fields.summary;
    if (fields.description !== undefined) issue.fields.description = fields.description;
    if (fields.labels) issue.fields.labels = fields.labels;
    for (const add of body.data.update?.labels ?? [])
      if (!issue.fields.labels.includes(add.add)) issue.fields.labels.push(add.add);
    if (fields.priority) issue.fields.priority = { name: fields.priority.name };
    if (fields.assignee !== undefined)
      issue.fields.assignee = fields.assignee
        ? { accountId: fields.assignee.accountId, displayName: 'Assignee' }
        : null;
    if (fields.duedate) issue.fields.duedate = fields.duedate;
    issue.fields.updated = new Date().toISOString().replace('Z', '+0000');
    return reply.code(204).send();
  });

  app.post<{ Params: { key: string } }>('/rest/api/3/issue/:key/comment', async (request, reply) => {
    const issue = find(request.params.key);
    if (!issue) return missing(reply);
    const body = z.object({ body: Adf }).safeParse(request.body);
    if (!body.success)
      return reply.code(400).send(jiraError([], { comment: 'Comment body can not be empty!' }));
    const comment = { id: String(nextId++), body: body.data.body, created: new Date().toISOString() };
    issue.comments.push(comment);
    return reply.code(201).send({
      ...comment,
      self: `${base}/issue/${issue.id}/comment/${comment.id}`,
      author: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Ana Silva' },
    });
  });

  app.get<{ Params: { key: string } }>('/rest/api/3/issue/:key/transitions', async (request, reply) => {
    const issue = find(request.params.key);
    if (!issue) return missing(reply);
    return {
      transitions: (WORKFLOW[issue.fields.status.name] ?? []).map((transition) => ({
        id: transition.id,
        name: transition.name,
        to: { name: transition.to },
      })),
    };
  });

  app.post<{ Params: { key: string } }>('/rest/api/3/issue/:key/transitions', async (request, reply) => {
    const issue = find(request.params.key);
    if (!issue) return missing(reply);
    const body = z
      .object({
        transition: z.object({ id: z.string() }),
        update: z.object({ comment: z.array(z.object({ add: z.object({ body: Adf }) })) }).optional(),
      })
      .safeParse(request.body);
    const transition = (WORKFLOW[issue.fields.status.name] ?? []).find(
      (candidate) => body.success && candidate.id === body.data.transition.id,
    );
    if (!body.success || !transition)
      return reply
        .code(400)
        .send(jiraError([], { transition: 'Transition id is not valid for this issue.' }));
    issue.fields.status = { name: transition.to };
    for (const comment of body.data.update?.comment ?? [])
      issue.comments.push({
        id: String(nextId++),
        body: comment.add.body,
        created: new Date().toISOString(),
      });
    return reply.code(204).send();
  });

  app.post('/rest/api/3/search/jql', async (request, reply) => {
    const body = z
      .object({
        jql: z.string(),
        maxResults: z.number().int().min(1).max(5000).default(50),
        nextPageToken: z.string().optional(),
        fields: z.array(z.string()).optional(),
      })
      .safeParse(request.body);
    if (!body.success) return reply.code(400).send(jiraError(['The JQL query is missing.']));
    const project = /project\s*=\s*"?([A-Z][A-Z0-9_]*)"?/i.exec(body.data.jql)?.[1];
    if (
      project &&
      !PROJECTS.has(project.toUpperCase()) &&
      !issues.some((issue) => issue.fields.project.key === project)
    )
      return reply
        .code(400)
        .send(jiraError([`The value '${project}' does not exist for the field 'project'.`]));
    const matching = issues.filter((issue) => !project || issue.fields.project.key === project.toUpperCase());
    const start = body.data.nextPageToken
      ? Number(Buffer.from(body.data.nextPageToken, 'base64url').toString())
      : 0;
    const size = Math.min(100, body.data.maxResults);
    const page = matching.slice(start, start + size);
    const more = start + size < matching.length;
    return {
      issues: page.map(view),
      isLast: !more,
      ...(more ? { nextPageToken: Buffer.from(String(start + size)).toString('base64url') } : {}),
    };
  });

  app.get('/rest/api/3/myself', async () => ({
    accountId: '5b10ac8d82e05b22cc7d4ef5',
    emailAddress: email,
    displayName: 'Ana Silva',
  }));

  base = `${await listenLocal(app)}/rest/api/3`;
  return {
    url: base,
    email,
    get apiToken() {
      return apiToken;
    },
    requests,
    issues: () => issues,
    seed(count, projectKey = 'ENG') {
      for (let index = 0; index < count; index++)
        newIssue(projectKey, { summary: `Seeded issue ${index + 1}` });
    },
    revoke() {
      apiToken = 'ATATT3xFfGF0revokedrevokedrevoked00';
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
