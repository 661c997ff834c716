import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeLinearIssue = {
  id: string;
  identifier: string;
  title: string;
  description: string | null;
  priority: number;
  teamId: string;
  stateId: string;
  assigneeId: string | null;
  labelIds: string[];
  dueDate: string | null;
  createdAt: string;
  updatedAt: string;
  comments: { id: string; body: string; createdAt: string }[];
};

export type LinearFake = {
  /** Give as env.baseUrls.linear (the API origin; the endpoint is /graphql). */
  url: string;
  apiKey: string;
  accessToken: string;
  teamId: string;
  doneStateId: string;
  userId: string;
  labelId: string;
  requests: RecordedRequest[];
  issues(): FakeLinearIssue[];
  /** The key and token stop working (revoked in Linear's settings). */
  revoke(): void;
  /** Route key: the operation name, e.g. `IssueCreate`. */
  fail(operation: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** A GraphQL error as Linear sends it. */
export function linearError(code: string, message: string, userPresentableMessage?: string) {
  return {
    errors: [
      {
        message,
        extensions: {
          code,
          type: code.toLowerCase(),
          ...(userPresentableMessage ? { userPresentableMessage } : {}),
        },
      },
    ],
  };
}

const Body = z.object({ query: z.string(), variables: z.record(z.string(), z.unknown()).optional() });
const CreateInput = z.object({
  teamId: z.string(),
  title: z.string().min(1),
  description: z.string().optional(),
  priority: z.number().int().min(0).max(4).optional(),
  assigneeId: z.string().optional(),
  labelIds: z.array(z.string()).optional(),
  stateId: z.string().optional(),
  projectId: z.string().optional(),
  dueDate: z.string().optional(),
});
const UpdateInput = CreateInput.omit({ teamId: true })
  .partial()
  .extend({ assigneeId: z.string().nullable().optional(), dueDate: z.string().nullable().optional() })
  .strict();

/**
 * A local Linear GraphQL API (https://linear.app/developers/graphql): `POST /graphql` with the API key as the
 * whole Authorization header or an OAuth `Bearer` token; the operations IssueCreate, IssueUpdate, CommentCreate and
 * Viewer (recognised by operation name); Linear's errors (`errors[].extensions.code`: AUTHENTICATION_ERROR,
 * INVALID_INPUT, RATELIMITED with X-RateLimit-Requests-Reset) in a 400, or in a 200 for an entity it cannot find.
 */
export async function startLinearFake(): Promise<LinearFake> {
  const app = Fastify({ logger: false });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  let apiKey = 'lin_api_FakeKey0123456789abcdefABCDEFghij';
  let accessToken = 'lin_oauth_fake_token_0123456789abcdef';
  const team = { id: randomUUID(), key: 'ENG', name: 'Engineering' };
  const states = [
    { id: randomUUID(), name: 'Todo' },
    { id: randomUUID(), name: 'Done' },
  ];
  const user = { id: randomUUID(), name: 'Ana Silva' };
  const label = { id: randomUUID(), name: 'bug' };
  const issues: FakeLinearIssue[] = [];
  let number = 100;

  const view = (issue: FakeLinearIssue) => ({
    id: issue.id,
    identifier: issue.identifier,
    title: issue.title,
    description: issue.description,
    url: `https://linear.app/acme/issue/${issue.identifier}`,
    priority: issue.priority,
    priorityLabel: ['No priority', 'Urgent', 'High', 'Medium', 'Low'][issue.priority],
    createdAt: issue.createdAt,
    updatedAt: issue.updatedAt,
    state: { name: states.find((state) => state.id === issue.stateId)?.name ?? 'Todo' },
    team: { key: team.key },
    assignee: issue.assigneeId === user.id ? { name: user.name } : null,
    labels: { nodes: issue.labelIds.map(() => ({ name: label.name })) },
  });
  const invalid = (reply: FastifyReply, message: string) =>
    reply.code(400).send(linearError('INVALID_INPUT', `Argument Validation Error`, message));
  const notFound = (reply: FastifyReply, what: string) =>
    reply.code(200).send({
      ...linearError('INVALID_INPUT', 'Entity not found', `Could not find referenced ${what}.`),
      data: null,
    });

  app.post('/graphql', async (request, reply) => {
    requests.push(recordRequest(request));
    const body = Body.safeParse(request.body);
    const operation = body.success ? (/^\s*(?:query|mutation)\s+(\w+)/.exec(body.data.query)?.[1] ?? '') : '';
    const failure = failures.take(operation);
    if (failure) return sendFailure(reply, failure);
    const authorization = request.headers.authorization;
    if (authorization !== apiKey && authorization !== `Bearer ${accessToken}`) {
      return reply
        .code(400)
        .send(
          linearError(
            'AUTHENTICATION_ERROR',
            'Authentication required, not authenticated',
            'You need to authenticate to access this operation.',
          ),
        );
    }
    if (!body.success)
      return reply.code(400).send(linearError('GRAPHQL_VALIDATION_FAILED', 'Must provide query string.'));
    const variables = body.data.variables ?? {};
    const now = new Date().toISOString();
    const find = (id: unknown) => issues.find((issue) => issue.id === id || issue.identifier === id);
    switch (operation) {
      case 'Viewer':
        return { data: { viewer: { id: user.id, name: user.name, email: 'ana@acme.example' } } };
      case 'IssueCreate': {
        const input = CreateInput.safeParse(variables.input);
        if (!input.success) return invalid(reply, input.error.issues[0]?.message ?? 'invalid input');
        if (input.data.teamId !== team.id) return notFound(reply, 'team');
        if (input.data.assigneeId && input.data.assigneeId !== user.id) return notFound(reply, 'user');
        const issue: FakeLinearIssue = {
          id: randomUUID(),
          identifier: `${team.key}-${++number}`,
          title: input.data.title,
          description: input.data.description ?? null,
          priority: input.data.priority ?? 0,
          teamId: team.id,
          stateId: input.data.stateId ?? states[0]?.id ?? '',
          assigneeId: input.data.assigneeId ?? null,
          labelIds: input.data.labelIds ?? [],
          dueDate: input.data.dueDate ?? null,
          createdAt: now,
          updatedAt: now,
          comments: [],
        };
        issues.push(issue);
        return { data: { issueCreate: { success: true, issue: view(issue) } } };
      }
      case 'IssueUpdate': {
        const issue = find(variables.id);
        if (!issue) return notFound(reply, 'issue');
        const input = UpdateInput.safeParse(variables.input);
        if (!input.success) return invalid(reply, input.error.issues[0]?.message ?? 'invalid input');
        const changes = input.data;
        if (changes.stateId && !states.some((state) => state.id === changes.stateId))
          return notFound(reply, 'workflow state');
        Object.assign(
          issue,
          Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
          { updatedAt: now },
        );
        return { data: { issueUpdate: { success: true, issue: view(issue) } } };
      }
      case 'CommentCreate': {
        const input = z.object({ issueId: z.string(), body: z.string().min(1) }).safeParse(variables.input);
        if (!input.success) return invalid(reply, 'body should not be empty');
        const issue = find(input.data.issueId);
        if (!issue) return notFound(reply, 'issue');
        const comment = { id: randomUUID(), body: input.data.body, createdAt: now };
        issue.comments.push(comment);
        return {
          data: {
            commentCreate: {
              success: true,
              comment: {
                ...comment,
                url: `https://linear.app/acme/issue/${issue.identifier}#comment-${comment.id.slice(0, 8)}`,
              },
            },
          },
        };
      }
      default:
        return reply
          .code(400)
          .send(linearError('GRAPHQL_VALIDATION_FAILED', `Unknown operation ${operation}`));
    }
  });

  const url = await listenLocal(app);
  return {
    url,
    get apiKey() {
      return apiKey;
    },
    get accessToken() {
      return accessToken;
    },
    teamId: team.id,
    doneStateId: states[1]?.id ?? '',
    userId: user.id,
    labelId: label.id,
    requests,
    issues: () => issues,
    revoke() {
      apiKey = 'lin_api_Revoked000000000000000000000000000';
      accessToken = 'lin_oauth_revoked_00000000000000000000';
    },
    fail: (operation, failure) => failures.add(operation, failure),
    close: () => app.close(),
  };
}
