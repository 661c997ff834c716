import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { githubConnector } from './connector.ts';
import { type GithubFake, startGithubFake } from './fake-server.ts';
import { IssueOpenedFilters, issueOpened } from './triggers/issue-opened.ts';
import { PullRequestOpenedFilters, pullRequestOpened } from './triggers/pull-request-opened.ts';
import { parseGithubWebhook, signGithubPayload, verifyGithubSignature } from './webhook.ts';

let fake: GithubFake;
let env: ReturnType<typeof createTestEnvironment>;
let credential: { token: string };
const repo = { owner: 'octo-org', repo: 'hello-world' };
type Options = { attempt?: number; idempotencyKey?: string; credential?: unknown };

beforeAll(async () => {
  fake = await startGithubFake();
  env = createTestEnvironment({ github: fake.url });
  credential = { token: fake.token };
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(githubConnector, key, input, { env, credential, ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(githubConnector, key, input, { env, credential, ...options });

describe('github connector against the fake REST API', () => {
  it('creates an issue with labels through Octokit, then lists, comments and labels it', async () => {
    const created = (await run('createIssue', {
      ...repo,
      title: 'Checkout broken',
      body: 'It fails.',
      labels: ['bug'],
    })) as {
      number: number;
      url: string;
    };
    expect(created).toMatchObject({ number: 1, state: 'open', deduplicated: false });
    expect(created.url).toBe('https://github.com/octo-org/hello-world/issues/1');
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`token ${fake.token}`);
    expect(fake.issues('octo-org/hello-world')[0]?.body).toContain('<!-- vmesh-step: run-1:node-1:0 -->');

    const listed = (await run('listIssues', { ...repo, labels: ['bug'] })) as { issues: unknown[] };
    expect(listed.issues).toEqual([
      expect.objectContaining({
        number: 1,
        title: 'Checkout broken',
        labels: ['bug'],
        author: 'vmesh-bot',
        isPullRequest: false,
      }),
    ]);
    const comment = await run(
      'addComment',
      { ...repo, issueNumber: 1, body: 'Looking.' },
      { idempotencyKey: 'c1' },
    );
    expect(comment).toMatchObject({ deduplicated: false, url: expect.stringContaining('#issuecomment-') });
    expect(await run('addLabels', { ...repo, issueNumber: 1, labels: ['triage'] })).toEqual({
      labels: ['bug', 'triage'],
    });
  });

  it('does not create a second issue when a retry follows a lost response', async () => {
    const before = fake.issues('octo-org/hello-world').length;
    fake.fail('POST /repos/:owner/:repo/issues', {
      status: 502,
      body: { message: 'Server Error' },
      applyFirst: true,
    });
    expect(
      await runError('createIssue', { ...repo, title: 'Once' }, { idempotencyKey: 'once-1' }),
    ).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
    expect(
      await run('createIssue', { ...repo, title: 'Once' }, { idempotencyKey: 'once-1', attempt: 2 }),
    ).toMatchObject({
      deduplicated: true,
      number: before + 1,
    });
    expect(fake.issues('octo-org/hello-world')).toHaveLength(before + 1);
  });

  it('does not comment twice on a retry', async () => {
    await run('addComment', { ...repo, issueNumber: 1, body: 'Retry me' }, { idempotencyKey: 'c2' });
    expect(
      await run(
        'addComment',
        { ...repo, issueNumber: 1, body: 'Retry me' },
        { idempotencyKey: 'c2', attempt: 2 },
      ),
    ).toMatchObject({
      deduplicated: true,
    });
    expect(
      fake.issues('octo-org/hello-world')[0]?.comments.filter((c) => c.body.startsWith('Retry me')),
    ).toHaveLength(1);
  });

  it('turns 422 errors[] into a non-retryable error naming the field', async () => {
    const error = await runError('createIssue', { ...repo, title: 'x', labels: ['no-such-label'] });
    expect(error).toMatchObject({ code: 'E_REQUEST', retryable: false, status: 422 });
    expect((error as Error).message).toContain('Validation Failed');
    expect((error as Error).message).toContain('field "name" is invalid');
  });

  it('maps 404, 401 and 5xx', async () => {
    expect(await runError('listIssues', { owner: 'octo-org', repo: 'missing' })).toMatchObject({
      code: 'E_NOT_FOUND',
      hint: expect.stringContaining('private'),
    });
    expect(
      await runError('listIssues', repo, { credential: { token: 'ghp_wrongwrongwrongwrongwrong' } }),
    ).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
    });
    fake.fail('GET /repos/:owner/:repo/issues', { status: 503, body: { message: 'Unavailable' } });
    expect(await runError('listIssues', repo)).toMatchObject({ code: 'E_UPSTREAM', retryable: true });
  });

  it('maps a 403 rate limit (x-ratelimit-remaining 0) to a retryable error with the reset time, no SDK retry', async () => {
    const count = fake.requests.length;
    const reset = Math.floor(Date.now() / 1000) + 120;
    fake.fail('GET /repos/:owner/:repo/issues', {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: {
        message: 'API rate limit exceeded for user ID 1.',
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    const error = (await runError('listIssues', repo)) as { retryAfterMs?: number };
    expect(error).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, status: 403 });
    expect(error.retryAfterMs).toBeGreaterThan(100_000);
    expect(fake.requests.length).toBe(count + 1);
    fake.fail('POST /repos/:owner/:repo/issues/:number/labels', {
      status: 403,
      headers: { 'retry-after': '30' },
      body: { message: 'You have exceeded a secondary rate limit.' },
    });
    expect(await runError('addLabels', { ...repo, issueNumber: 1, labels: ['x'] })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryAfterMs: 30_000,
    });
  });

  it('maps an unreachable GitHub to a retryable error', async () => {
    const gone = await startGithubFake();
    await gone.close();
    const error = await runActionError(githubConnector, 'listIssues', repo, {
      env: createTestEnvironment({ github: gone.url }),
      credential,
    });
    expect(error).toMatchObject({ retryable: true });
  });

  it('doc.md has one section per action and trigger', async () => {
    const sections = docSections(await readFile(githubConnector.docPath, 'utf8'));
    expect(sections).toEqual([
      ...githubConnector.actions.map((action) => action.key),
      ...githubConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});

describe('github webhooks', () => {
  const secret = 'webhook-secret-123';
  const issuePayload = {
    action: 'opened',
    issue: {
      number: 5,
      title: 'Crash',
      body: null,
      html_url: 'https://github.com/octo-org/hello-world/issues/5',
      labels: [{ name: 'bug' }],
      user: { login: 'octocat' },
    },
    repository: { full_name: 'octo-org/hello-world', name: 'hello-world', owner: { login: 'octo-org' } },
    sender: { login: 'octocat' },
  };

  it('verifies X-Hub-Signature-256 over the raw bytes', () => {
    const raw = Buffer.from(JSON.stringify(issuePayload));
    const header = signGithubPayload(raw, secret);
    expect(verifyGithubSignature(raw, header, secret)).toBe(true);
    expect(verifyGithubSignature(Buffer.from(`${raw.toString()} `), header, secret)).toBe(false);
    expect(verifyGithubSignature(raw, header, 'other-secret')).toBe(false);
    expect(verifyGithubSignature(raw, undefined, secret)).toBe(false);
    expect(verifyGithubSignature(raw, 'sha1=abc', secret)).toBe(false);
    expect(verifyGithubSignature(raw, 'sha256=zz', secret)).toBe(false);
    // GitHub's documented test vector.
    expect(
      verifyGithubSignature(
        Buffer.from('Hello, World!'),
        'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
        "It's a Secret to Everybody",
      ),
    ).toBe(true);
  });

  it('parses issues and pull_request deliveries into trigger data that the filters match', () => {
    const issue = parseGithubWebhook('issues', issuePayload);
    expect(issue).toEqual({
      trigger: 'issueOpened',
      data: {
        repository: 'octo-org/hello-world',
        owner: 'octo-org',
        repo: 'hello-world',
        issue: {
          number: 5,
          title: 'Crash',
          body: '',
          url: issuePayload.issue.html_url,
          labels: ['bug'],
          author: 'octocat',
        },
        sender: 'octocat',
      },
    });
    expect(issueOpened.matches?.(IssueOpenedFilters.parse({ labels: ['bug'] }), issue?.data)).toBe(true);
    expect(issueOpened.matches?.(IssueOpenedFilters.parse({ repository: 'a/b' }), issue?.data)).toBe(false);
    expect(parseGithubWebhook('issues', { ...issuePayload, action: 'closed' })).toBeUndefined();
    expect(parseGithubWebhook('push', issuePayload)).toBeUndefined();

    const pr = parseGithubWebhook('pull_request', {
      action: 'opened',
      pull_request: {
        number: 7,
        title: 'Fix',
        body: 'Closes #5',
        html_url: 'https://github.com/octo-org/hello-world/pull/7',
        draft: true,
        user: { login: 'octocat' },
        head: { ref: 'fix' },
        base: { ref: 'main' },
      },
      repository: issuePayload.repository,
      sender: { login: 'octocat' },
    });
    expect(pr?.trigger).toBe('pullRequestOpened');
    expect(
      pullRequestOpened.matches?.(PullRequestOpenedFilters.parse({ baseBranch: 'main' }), pr?.data),
    ).toBe(true);
    expect(
      pullRequestOpened.matches?.(PullRequestOpenedFilters.parse({ includeDrafts: false }), pr?.data),
    ).toBe(false);
  });
});

describe('github hook subscriptions (the triggers register their repository webhook)', () => {
  const url = 'https://vmesh.example.com/hooks/wf_sub';
  const context = (token = credential.token) => {
    const signal = AbortSignal.timeout(10_000);
    const client = githubConnector.createClient({ credential: { token }, env, signal });
    return { credential: { token }, client, logger: env.logger, signal, env };
  };
  const subscription = issueOpened.kind === 'webhook' ? issueOpened.subscription : undefined;
  const filters = IssueOpenedFilters.parse({ repository: 'octo-org/hello-world' });
  const ours = () => fake.hooks('octo-org/hello-world').filter((hook) => hook.config.url === url);

  it('creates one hook as GitHub documents it, reuses it on a second create, and deletes it idempotently', async () => {
    if (!subscription) throw new Error('issueOpened has no subscription');
    const created = await subscription.create(context(), filters, { url, secret: 'first-secret-0123456789' });
    expect(created).toEqual({ id: expect.stringMatching(/^\d+$/) });
    const posted = fake.requests.find(
      (request) => request.method === 'POST' && request.path.endsWith('/hooks'),
    );
    expect(posted?.body).toEqual({
      name: 'web',
      active: true,
      events: ['issues'],
      config: { url, content_type: 'json', secret: 'first-secret-0123456789', insecure_ssl: '0' },
    });
    // A retry (its first answer lost) finds the hook by URL and signs it with the new secret: still one hook.
    const again = await subscription.create(context(), filters, { url, secret: 'second-secret-0123456789' });
    expect(again.id).toBe(created.id);
    expect(ours()).toEqual([
      expect.objectContaining({ config: expect.objectContaining({ secret: 'second-secret-0123456789' }) }),
    ]);
    // What GitHub lists shows the secret masked.
    const listed = await context().client.rest.repos.listWebhooks({ owner: 'octo-org', repo: 'hello-world' });
    expect(JSON.stringify(listed.data)).not.toContain('second-secret');

    await subscription.delete(context(), filters, { id: created.id });
    expect(ours()).toEqual([]);
    await expect(subscription.delete(context(), filters, { id: created.id })).resolves.toBeUndefined();
  });

  it('answers 422 to a second hook with the same URL, and the errors say what to change', async () => {
    if (!subscription) throw new Error('issueOpened has no subscription');
    const client = context().client;
    const hook = { owner: 'octo-org', repo: 'hello-world', name: 'web', config: { url: `${url}-dup` } };
    await client.rest.repos.createWebhook(hook);
    await expect(client.rest.repos.createWebhook(hook)).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: 'Hook already exists on this repository' }] } },
    });
    await expect(subscription.create(context(), {}, { url, secret: 'x'.repeat(20) })).rejects.toMatchObject({
      code: 'E_PARAMS',
      hint: expect.stringMatching(/trigger\.with\.repository/),
    });
    await expect(
      subscription.create(context(), IssueOpenedFilters.parse({ repository: 'octo-org/missing' }), {
        url,
        secret: 'x'.repeat(20),
      }),
    ).rejects.toMatchObject({ code: 'E_NOT_FOUND', hint: expect.stringMatching(/admin:repo_hook/) });
    await expect(
      subscription.create(context('ghp_wrongwrongwrongwrongwrongwrongwrong0'), filters, {
        url,
        secret: 'x'.repeat(20),
      }),
    ).rejects.toMatchObject({ code: 'E_AUTH', retryable: false });
  });
});
