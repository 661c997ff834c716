import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import { signGithubPayload } from './webhook.ts';

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

/** A repository webhook as the fake keeps it (the secret in clear, as GitHub keeps it to sign deliveries). */
export type FakeGithubHook = {
  id: number;
  active: boolean;
  events: string[];
  config: { url: string; content_type: string; secret?: string; insecure_ssl: string };
  createdAt: string;
  updatedAt: string;
};

export type GithubFake = {
  /** Octokit baseUrl. */
  url: string;
  token: string;
  requests: RecordedRequest[];
  /** Issues of "owner/repo" (created on first use of a known repository). */
  issues(repository: string): FakeGithubIssue[];
  /** Webhooks of "owner/repo" (`POST/GET/PATCH/DELETE /repos/:owner/:repo/hooks[/:hook_id]`). */
  hooks(repository: string): FakeGithubHook[];
  /**
   * Sends `payload` as GitHub would to every active hook of the repository subscribed to `event` (or `*`; `ping` goes to all): JSON body,
   * `X-GitHub-Event`, `X-GitHub-Delivery`, `X-GitHub-Hook-ID`, and `X-Hub-Signature-256` with the hook's secret.
   */
  deliver(
    repository: string,
    event: string,
    payload: unknown,
  ): Promise<{ hookId: number; status: number; body: unknown }[]>;
  /**
   * Queue a failure for a route key `METHOD <route pattern>`, e.g. `POST /repos/:owner/:repo/issues`,
   * `GET /repos/:owner/:repo/issues`, `POST /repos/:owner/:repo/issues/:number/comments`,
   * `POST /repos/:owner/:repo/hooks`, `DELETE /repos/:owner/:repo/hooks/:hook_id`. Supports `applyFirst`.
   */
  fail(route: string, failure: InjectedFailure): void;
  /**
   * The OAuth app and its token endpoint, `POST /login/oauth/access_token` (client id and secret in the form), as
   * GitHub answers it: a form-encoded body unless `Accept: application/json`, and every refusal with HTTP 200
   * (`bad_verification_code`, `bad_refresh_token`, `incorrect_client_credentials`). Tokens expire (8 h) with a
   * refresh token, as a GitHub App's user tokens do; a used refresh token is rotated away. Issued access tokens
   * pass the API like `token`.
   */
  oauth: {
    clientId: string;
    clientSecret: string;
    tokenUrl: string;
    issueCode(): string;
    revoke(refreshToken: string): void;
    refreshGrants(): number;
    /** The Accept header of each token request, in order. */
    accepts: (string | undefined)[];
  };
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
  const hookStore = new Map<string, FakeGithubHook[]>();
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const oauthClient = { id: 'Iv1.fakeclient0001', secret: `github-client-secret-${randomUUID()}` };
  const oauthCodes = new Set<string>();
  const refreshTokens = new Set<string>();
  const oauthTokens = new Set<string>();
  const accepts: (string | undefined)[] = [];
  let refreshGrants = 0;
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
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
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
    if (request.url === '/login/oauth/access_token') return;
    const auth = request.headers.authorization;
    const bearer = auth?.replace(/^(token|Bearer) /, '') ?? '';
    if (bearer !== token && !oauthTokens.has(bearer)) {
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

  app.post('/login/oauth/access_token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string | undefined>;
    const accept = request.headers.accept;
    accepts.push(accept);
    const answer = (body: Record<string, string | number>) =>
      /application\/json/.test(accept ?? '')
        ? reply.send(body)
        : reply
            .type('application/x-www-form-urlencoded; charset=utf-8')
            .send(new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString());
    const refused = (error: string, description: string) =>
      answer({
        error,
        error_description: description,
        error_uri:
          'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
      });
    if (form.client_id !== oauthClient.id || form.client_secret !== oauthClient.secret)
      return refused(
        'incorrect_client_credentials',
        'The client_id and/or client_secret passed are incorrect.',
      );
    if (form.grant_type === 'refresh_token') {
      if (!refreshTokens.delete(form.refresh_token ?? ''))
        return refused('bad_refresh_token', 'The refresh token passed is incorrect or expired.');
      refreshGrants += 1;
    } else if (!oauthCodes.delete(form.code ?? '')) {
      return refused('bad_verification_code', 'The code passed is incorrect or expired.');
    }
    const access = `ghu_${randomUUID().replaceAll('-', '')}`;
    const refresh = `ghr_${randomUUID().replaceAll('-', '')}`;
    oauthTokens.add(access);
    refreshTokens.add(refresh);
    return answer({
      access_token: access,
      expires_in: 28800,
      refresh_token: refresh,
      refresh_token_expires_in: 15897600,
      scope: '',
      token_type: 'bearer',
    });
  });

  // Who the token belongs to (what `vmesh credentials test` asks).
  app.get('/user', async () => ({ login: LOGIN, id: 1, type: 'User' }));

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

  const repoHooks = (owner: string, repo: string) => {
    const key = `${owner}/${repo}`.toLowerCase();
    if (!repositories.has(key)) return undefined;
    let list = hookStore.get(key);
    if (!list) {
      list = [];
      hookStore.set(key, list);
    }
    return list;
  };
  type HookParams = RepoParams & { hook_id: string };
  // As GitHub shows a repository hook: the secret, when set, as "********".
  const hookJson = (owner: string, repo: string, hook: FakeGithubHook) => {
    const api = `https://api.github.com/repos/${owner}/${repo}/hooks/${hook.id}`;
    const { secret, ...config } = hook.config;
    return {
      type: 'Repository',
      id: hook.id,
      name: 'web',
      active: hook.active,
      events: hook.events,
      config: { ...config, ...(secret ? { secret: '********' } : {}) },
      updated_at: hook.updatedAt,
      created_at: hook.createdAt,
      url: api,
      test_url: `${api}/test`,
      ping_url: `${api}/pings`,
      deliveries_url: `${api}/deliveries`,
      last_response: { code: null, status: 'unused', message: null },
    };
  };
  type HookBody = { name?: unknown; active?: unknown; events?: unknown; config?: unknown };
  const HookConfigKeys = ['url', 'content_type', 'secret', 'insecure_ssl'] as const;
  const readConfig = (value: unknown): Partial<FakeGithubHook['config']> => {
    const config: Partial<FakeGithubHook['config']> = {};
    if (!value || typeof value !== 'object') return config;
    for (const key of HookConfigKeys) {
      const field = (value as Record<string, unknown>)[key];
      if (typeof field === 'string') config[key] = field;
    }
    return config;
  };

  app.get('/repos/:owner/:repo/hooks', async (request, reply) => {
    const { owner, repo } = request.params as RepoParams;
    const list = repoHooks(owner, repo);
    if (!list) return notFound(reply);
    const query = request.query as Record<string, string | undefined>;
    const perPage = Math.min(100, Number(query.per_page ?? 30));
    const page = Number(query.page ?? 1);
    return list.slice((page - 1) * perPage, page * perPage).map((hook) => hookJson(owner, repo, hook));
  });

  app.post('/repos/:owner/:repo/hooks', async (request, reply) => {
    const { owner, repo } = request.params as RepoParams;
    const list = repoHooks(owner, repo);
    if (!list) return notFound(reply);
    const body = (request.body ?? {}) as HookBody;
    if (body.name !== undefined && body.name !== 'web') {
      return invalid(reply, [{ resource: 'Hook', field: 'name', code: 'invalid' }]);
    }
    const config = readConfig(body.config);
    if (!config.url) return invalid(reply, [{ resource: 'Hook', field: 'config', code: 'missing_field' }]);
    if (list.some((hook) => hook.config.url === config.url)) {
      return invalid(reply, [
        { resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' },
      ]);
    }
    const at = now();
    const hook: FakeGithubHook = {
      id: nextId++,
      active: body.active !== false,
      events: Array.isArray(body.events) ? body.events.map(String) : ['push'],
      config: {
        url: config.url,
        content_type: config.content_type ?? 'form',
        insecure_ssl: config.insecure_ssl ?? '0',
        ...(config.secret ? { secret: config.secret } : {}),
      },
      createdAt: at,
      updatedAt: at,
    };
    list.push(hook);
    return reply.code(201).send(hookJson(owner, repo, hook));
  });

  app.patch('/repos/:owner/:repo/hooks/:hook_id', async (request, reply) => {
    const params = request.params as HookParams;
    const hook = repoHooks(params.owner, params.repo)?.find((item) => item.id === Number(params.hook_id));
    if (!hook) return notFound(reply);
    const body = (request.body ?? {}) as HookBody;
    if (body.config !== undefined) {
      const config = readConfig(body.config);
      if (!config.url) return invalid(reply, [{ resource: 'Hook', field: 'config', code: 'missing_field' }]);
      // GitHub replaces the whole config: a secret not given is removed.
      hook.config = {
        url: config.url,
        content_type: config.content_type ?? 'form',
        insecure_ssl: config.insecure_ssl ?? '0',
        ...(config.secret ? { secret: config.secret } : {}),
      };
    }
    if (Array.isArray(body.events)) hook.events = body.events.map(String);
    if (typeof body.active === 'boolean') hook.active = body.active;
    hook.updatedAt = now();
    return hookJson(params.owner, params.repo, hook);
  });

  app.delete('/repos/:owner/:repo/hooks/:hook_id', async (request, reply) => {
    const params = request.params as HookParams;
    const list = repoHooks(params.owner, params.repo);
    const index = list?.findIndex((item) => item.id === Number(params.hook_id)) ?? -1;
    if (!list || index < 0) return notFound(reply);
    list.splice(index, 1);
    return reply.code(204).send();
  });

  const deliver = async (repository: string, event: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    const targets = (hookStore.get(repository.toLowerCase()) ?? []).filter(
      (hook) => hook.active && (event === 'ping' || hook.events.includes(event) || hook.events.includes('*')),
    );
    const answers: { hookId: number; status: number; body: unknown }[] = [];
    for (const hook of targets) {
      const response = await fetch(hook.config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/044aadd',
          'x-github-event': event,
          'x-github-delivery': randomUUID(),
          'x-github-hook-id': String(hook.id),
          'x-github-hook-installation-target-type': 'repository',
          ...(hook.config.secret
            ? { 'x-hub-signature-256': signGithubPayload(body, hook.config.secret) }
            : {}),
        },
        body,
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      answers.push({ hookId: hook.id, status: response.status, body: parsed });
    }
    return answers;
  };

  const url = await listenLocal(app);
  return {
    oauth: {
      clientId: oauthClient.id,
      clientSecret: oauthClient.secret,
      tokenUrl: `${url}/login/oauth/access_token`,
      issueCode() {
        const code = randomUUID().replaceAll('-', '').slice(0, 20);
        oauthCodes.add(code);
        return code;
      },
      revoke: (refreshToken) => void refreshTokens.delete(refreshToken),
      refreshGrants: () => refreshGrants,
      accepts,
    },
    url,
    token,
    requests,
    issues: (repository) => store.get(repository.toLowerCase()) ?? [],
    hooks: (repository) => hookStore.get(repository.toLowerCase()) ?? [],
    deliver,
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
