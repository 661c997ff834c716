import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeGithubIssue = {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  assignees: string[];
  author: string;
  createdAt: string;
  updatedAt: string;
  isPullRequest: boolean;
  comments: { id: number; body: string; author: string; createdAt: string }[];
};

export type GithubFake = {
  /** Octokit baseUrl. */
  url: string;
  token: string;
  requests: RecordedRequest[];
  /** Issues of "owner/repo" (created on first use of a known repository). */
  issues(repository: string): FakeGithubIssue[];
  /**
   * Queue a failure for a route key `METHOD <route pattern>`, e.g. `POST /repos/:owner/:repo/issues`,
   * `GET /repos/:owner/:repo/issues`, `POST /repos/:owner/:repo/issues/:number/comments`. Supports `applyFirst`.
   */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

const DOCS = 'https://docs.github.com/rest';
const LOGIN = 'vmesh-bot';

/**
 * A fastify app speaking GitHub's REST wire format for issues, comments and labels: JSON bodies, 401
 * `Bad credentials`, 404 `Not Found`, 422 `Validation Failed` with `errors[]`, `x-ratelimit-*` headers on every
 * answer. `repositories` are the repositories that exist (others answer 404); `labels` the labels that exist.
 */
export async function startGithubFake(
  options: { token?: string; repositories?: string[]; labels?: string[]; users?: string[] } = {},
): Promise<GithubFake> {
  const token = options.token ?? 'ghp_fakefakefakefakefakefakefakefake0001';
  const repositories = new Set(
    (options.repositories ?? ['octo-org/hello-world']).map((name) => name.toLowerCase()),
  );
  const knownLabels = new Set(options.labels ?? ['bug', 'triage', 'enhancement']);
  const users = new Set(options.users ?? ['octocat', LOGIN]);
  const store = new Map<string, FakeGithubIssue[]>();
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  let nextId = 1000;
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const now = () => {
    clock += 1000;
    return new Date(clock).toISOString();
  };

  const repoIssues = (owner: string, repo: string) => {
    const key = `${owner}/${repo}`.toLowerCase();
    if (!repositories.has(key)) return undefined;
    let list = store.get(key);
    if (!list) {
      list = [];
      store.set(key, list);
    }
    return list;
  };
  const htmlBase = (owner: string, repo: string) => `https://github.com/${owner}/${repo}`;
  const toJson = (owner: string, repo: string, issue: FakeGithubIssue) => ({
    id: issue.id,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    html_url: `${htmlBase(owner, repo)}/${issue.isPullRequest ? 'pull' : 'issues'}/${issue.number}`,
    labels: issue.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed' })),
    assignees: issue.assignees.map((login) => ({ login })),
    user: { login: issue.author },
    comments: issue.comments.length,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    ...(issue.isPullRequest
      ? { pull_request: { url: `${htmlBase(owner, repo)}/pull/${issue.number}` } }
      : {}),
  });
  const notFound = (reply: FastifyReply) =>
    reply.code(404).send({ message: 'Not Found', documentation_url: DOCS, status: '404' });
  const invalid = (reply: FastifyReply, errors: object[]) =>
    reply.code(422).send({ message: 'Validation Failed', errors, documentation_url: DOCS, status: '422' });

  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-ratelimit-limit', '5000');
    reply.header('x-ratelimit-remaining', '4999');
    reply.header('x-ratelimit-reset', String(Math.floor(Date.now() / 1000) + 3600));
    reply.header('x-github-media-type', 'github.v3');
    void request;
  });
  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    const failure = failures.take(route);
    if (failure && !failure.applyFirst) return sendFailure(reply, failure);
    if (failure) (request as FastifyRequest & { lateFailure?: InjectedFailure }).lateFailure = failure;
    const auth = request.headers.authorization;
    if (auth !== `token ${token}` && auth !== `Bearer ${token}`) {
      return reply.code(401).send({ message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const late = (request as FastifyRequest & { lateFailure?: InjectedFailure }).lateFailure;
    if (!late) return payload;
    reply.code(late.status);
    for (const [name, value] of Object.entries(late.headers ?? {})) reply.header(name, value);
    reply.header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(late.body ?? { message: 'Server Error' });
  });

  type RepoParams = { owner: string; repo: string };
  type IssueParams = RepoParams & { number: string };
  const findIssue = (params: IssueParams) =>
    repoIssues(params.owner, params.repo)?.find((issue) => issue.number === Number(params.number));

  app.post('/repos/:owner/:repo/issues', async (request, reply) => {
    const { owner, repo } = request.params as RepoParams;
    const list = repoIssues(owner, repo);
    if (!list) return notFound(reply);
    const body = (request.body ?? {}) as {
      title?: unknown;
      body?: unknown;
      labels?: unknown;
      assignees?: unknown;
    };
    if (typeof body.title !== 'string' || body.title === '') {
      return invalid(reply, [{ resource: 'Issue', field: 'title', code: 'missing_field' }]);
    }
    const labels = Array.isArray(body.labels) ? body.labels.map(String) : [];
    const unknownLabel = labels.find((label) => !knownLabels.has(label));
    if (unknownLabel)
      return invalid(reply, [{ resource: 'Label', field: 'name', code: 'invalid', value: unknownLabel }]);
    const assignees = Array.isArray(body.assignees) ? body.assignees.map(String) : [];
    const unknownUser = assignees.find((login) => !users.has(login));
    if (unknownUser)
      return invalid(reply, [{ resource: 'Issue', field: 'assignees', code: 'invalid', value: unknownUser }]);
    const at = now();
    const issue: FakeGithubIssue = {
      id: nextId++,
      number: list.length + 1,
      title: body.title,
      body: typeof body.body === 'string' ? body.body : null,
      state: 'open',
      labels,
      assignees,
      author: LOGIN,
      createdAt: at,
      updatedAt: at,
      isPullRequest: false,
      comments: [],
    };
    list.push(issue);
    return reply.code(201).send(toJson(owner, repo, issue));
  });

  app.get('/repos/:owner/:repo/issues', async (request, reply) => {
    const { owner, repo } = request.params as RepoParams;
    const list = repoIssues(owner, repo);
    if (!list) return notFound(reply);
    const query = request.query as Record<string, string | undefined>;
    const state = query.state ?? 'open';
    const labels = query.labels ? query.labels.split(',') : [];
    const since = query.since ? Date.parse(query.since) : undefined;
    if (since !== undefined && Number.isNaN(since)) {
      return invalid(reply, [{ resource: 'Issue', field: 'since', code: 'invalid' }]);
    }
    const perPage = Math.min(100, Number(query.per_page ?? 30));
    const page = Number(query.page ?? 1);
    const direction = query.direction ?? 'desc';
    const matching = list
      .filter((issue) => state === 'all' || issue.state === state)
      .filter((issue) => labels.every((label) => issue.labels.includes(label)))
      .filter((issue) => since === undefined || Date.parse(issue.updatedAt) >= since)
      .sort((a, b) => (direction === 'desc' ? b.number - a.number : a.number - b.number));
    return matching.slice((page - 1) * perPage, page * perPage).map((issue) => toJson(owner, repo, issue));
  });

  app.post('/repos/:owner/:repo/issues/:number/comments', async (request, reply) => {
    const params = request.params as IssueParams;
    const issue = findIssue(params);
    if (!issue) return notFound(reply);
    const body = (request.body ?? {}) as { body?: unknown };
    if (typeof body.body !== 'string' || body.body === '') {
      return invalid(reply, [{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    }
    const comment = { id: nextId++, body: body.body, author: LOGIN, createdAt: now() };
    issue.comments.push(comment);
    return reply.code(201).send({
      id: comment.id,
      body: comment.body,
      user: { login: LOGIN },
      html_url: `${htmlBase(params.owner, params.repo)}/issues/${issue.number}#issuecomment-${comment.id}`,
      created_at: comment.createdAt,
    });
  });

  app.get('/repos/:owner/:repo/issues/:number/comments', async (request, reply) => {
    const params = request.params as IssueParams;
    const issue = findIssue(params);
    if (!issue) return notFound(reply);
    return issue.comments.map((comment) => ({
      id: comment.id,
      body: comment.body,
      user: { login: comment.author },
      html_url: `${htmlBase(params.owner, params.repo)}/issues/${issue.number}#issuecomment-${comment.id}`,
      created_at: comment.createdAt,
    }));
  });

  app.post('/repos/:owner/:repo/issues/:number/labels', async (request, reply) => {
    const params = request.params as IssueParams;
    const issue = findIssue(params);
    if (!issue) return notFound(reply);
    const body = (request.body ?? {}) as { labels?: unknown };
    const labels = Array.isArray(body.labels) ? body.labels.map(String) : [];
    if (labels.length === 0 || labels.some((label) => label.length === 0 || label.length > 50)) {
      return invalid(reply, [{ resource: 'Label', field: 'name', code: 'invalid' }]);
    }
    for (const label of labels) {
      knownLabels.add(label);
      if (!issue.labels.includes(label)) issue.labels.push(label);
    }
    issue.updatedAt = now();
    return issue.labels.map((name, index) => ({ id: index + 1, name, color: 'ededed' }));
  });

  const url = await listenLocal(app);
  return {
    url,
    token,
    requests,
    issues: (repository) => store.get(repository.toLowerCase()) ?? [],
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
