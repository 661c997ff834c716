import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { type GithubFake, startGithubFake } from '../../connectors/github/fake-server.ts';
import {
  builtinConnectors,
  createCredentialStore,
  githubConnector,
  loadSecretKey,
} from '../../connectors/index.ts';
import { findFreePort } from '../../db/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

// GitHub triggers that register their repository hook themselves, end to end: the API activates a workflow, the
// real worker's vmesh_subscription job calls the GitHub fake over HTTP, and the fake delivers events to the hook
// URL it was given, signed with the secret it was given, as GitHub does.

let db: TestDatabase;
let github: GithubFake;
let engine: EngineServices;
let app: FastifyInstance;
let worker: EngineWorker;
let publicUrl: string;
const token = 'test-token-0123456789abcdef';
const REPO = 'octo-org/hello-world';
const OTHER = 'octo-org/other-repo';

const issuesOpened = (repository: string) => {
  const [owner = '', name = ''] = repository.split('/');
  return {
    action: 'opened',
    issue: {
      number: 42,
      title: 'Checkout fails with a 500',
      body: null,
      html_url: `https://github.com/${repository}/issues/42`,
      labels: [{ name: 'bug' }],
      user: { login: 'octocat' },
    },
    repository: { full_name: repository, name, owner: { login: owner } },
    sender: { login: 'octocat' },
  };
};

type Subscription = {
  status: string;
  id?: string;
  error?: { code: string; message: string; hint?: string };
  attempts: number;
  updatedAt: string;
};
type WorkflowView = { hook: { url: string; secret: string | null }; subscription: Subscription | null };

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await app.inject({
    method: method as 'GET',
    url: path,
    headers: {
      authorization: `Bearer ${token}`,
      host: new URL(publicUrl).host,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  expect(response.statusCode, `${method} ${path}: ${response.body}`).toBeLessThan(300);
  return response.json();
}

const getWorkflow = async (id: string) =>
  (await api('GET', `/api/workflows/${id}`)) as unknown as WorkflowView;
const subscriptionOf = async (id: string) => (await getWorkflow(id)).subscription;

function documentFor(trigger: Record<string, unknown>) {
  return {
    schemaVersion: 1,
    name: `subscribed-${Math.random()}`,
    trigger,
    nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.issue.title }}' } }],
    edges: [],
  };
}

async function createWorkflow(trigger: Record<string, unknown>): Promise<string> {
  const created = await api('POST', '/api/workflows', { document: documentFor(trigger) });
  return String(created.id);
}

const hookUrl = (id: string) => `${publicUrl}/hooks/${id}`;
const hooksFor = (id: string, repository = REPO) =>
  github.hooks(repository).filter((hook) => hook.config.url === hookUrl(id));
const hookCalls = (method: string) =>
  github.requests.filter((request) => request.method === method && /\/hooks(\/\d+)?$/.test(request.path));

const pendingJobs = async (id: string) =>
  (
    await db.sql`
      select count(*)::int as n from graphile_worker._private_jobs where key = ${`subscription:${id}`}`
  )[0]?.n as number;

async function waitForStatus(id: string, status: string | null): Promise<Subscription | null> {
  await expect
    .poll(async () => (await subscriptionOf(id))?.status ?? null, { timeout: 20_000, interval: 50 })
    .toBe(status);
  return subscriptionOf(id);
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  github = await startGithubFake({ repositories: [REPO, OTHER] });
  const port = await findFreePort();
  publicUrl = `http://127.0.0.1:${port}`;
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  const env = {
    VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    VMESH_PUBLIC_URL: publicUrl,
  };
  engine = await createEngineServices(database, { env, connectors: builtinConnectors });
  engine.deps.connectorEnv.baseUrls.github = github.url;
  const credentials = createCredentialStore({
    sql: db.sql,
    key: await loadSecretKey({ dataDir: '/nonexistent', env }),
    types: githubConnector.credential ? [githubConnector.credential] : [],
  });
  await credentials.set('gh', 'github', { token: github.token });
  app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl },
  });
  engine.registerHttp(app, { publicUrl });
  await app.listen({ host: '127.0.0.1', port });
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker.stop();
  await app.close();
  await github.close();
  await db.drop();
});

describe('a GitHub trigger with a credential registers its repository hook', () => {
  it('creates one hook on activation, whose signed deliveries start runs; removes it on deactivation and deletion', async () => {
    const id = await createWorkflow({
      type: 'github.issueOpened',
      credential: 'gh',
      with: { repository: REPO, labels: ['bug'] },
    });
    expect(await subscriptionOf(id)).toBeNull();
    expect(hooksFor(id)).toEqual([]);

    await api('POST', `/api/workflows/${id}/activate`, {});
    const active = await waitForStatus(id, 'active');
    const [hook] = hooksFor(id);
    expect(hooksFor(id)).toHaveLength(1);
    expect(hook).toMatchObject({
      active: true,
      events: ['issues'],
      config: { url: hookUrl(id), content_type: 'json', insecure_ssl: '0' },
    });
    expect(active).toEqual({
      status: 'active',
      id: String(hook?.id),
      attempts: 0,
      updatedAt: expect.any(String),
    });
    const shown = await getWorkflow(id);
    // The hook is signed with the workflow's hook secret: 32 random bytes we made, shown only as the hook's.
    expect(hook?.config.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(shown.hook.secret).toBe(hook?.config.secret);
    expect(JSON.stringify(shown.subscription)).not.toContain(String(hook?.config.secret));
    // GitHub answers a hook's secret masked: the one shown is the one we generated and stored.
    const answered = await github.deliver(REPO, 'ping', {
      zen: 'Keep it logically awesome.',
      hook_id: hook?.id,
    });
    expect(answered.map((answer) => answer.status)).toEqual([200]);

    const [delivery] = await github.deliver(REPO, 'issues', issuesOpened(REPO));
    expect(delivery?.status).toBe(202);
    const runId = String((delivery?.body as { runId?: string } | undefined)?.runId);
    const run = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]?.output).toBe('Checkout fails with a 500');

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await waitForStatus(id, null);
    expect(hooksFor(id)).toEqual([]);

    // Activating again, twice, leaves one hook; the second activation makes no new one.
    await api('POST', `/api/workflows/${id}/activate`, {});
    await waitForStatus(id, 'active');
    const hookId = hooksFor(id)[0]?.id;
    const posts = hookCalls('POST').length;
    await api('POST', `/api/workflows/${id}/activate`, {});
    await waitForStatus(id, 'active');
    await expect.poll(async () => (await subscriptionOf(id))?.id, { timeout: 20_000 }).toBe(String(hookId));
    expect(hooksFor(id).map((item) => item.id)).toEqual([hookId]);
    expect(hookCalls('POST').length).toBe(posts);

    await api('DELETE', `/api/workflows/${id}`);
    await expect.poll(() => hooksFor(id).length, { timeout: 20_000, interval: 50 }).toBe(0);
    const [left] =
      await db.sql`select count(*)::int as n from trigger_subscriptions where workflow_id = ${id}`;
    expect(left?.n).toBe(0);
  });

  it('moves the hook when the repository changes, and keeps it when only other filters change', async () => {
    const trigger = { type: 'github.issueOpened', credential: 'gh', with: { repository: REPO } };
    const id = await createWorkflow(trigger);
    await api('POST', `/api/workflows/${id}/activate`, {});
    await waitForStatus(id, 'active');
    const first = hooksFor(id)[0]?.id;
    expect(first).toBeDefined();

    await api('PUT', `/api/workflows/${id}`, {
      document: documentFor({ ...trigger, with: { repository: REPO, labels: ['triage'] } }),
    });
    await waitForStatus(id, 'active');
    expect(hooksFor(id).map((hook) => hook.id)).toEqual([first]);

    await api('PUT', `/api/workflows/${id}`, {
      document: documentFor({ ...trigger, with: { repository: OTHER } }),
    });
    await expect.poll(() => hooksFor(id, OTHER).length, { timeout: 20_000, interval: 50 }).toBe(1);
    await waitForStatus(id, 'active');
    expect(hooksFor(id, REPO)).toEqual([]);
    expect((await subscriptionOf(id))?.id).toBe(String(hooksFor(id, OTHER)[0]?.id));

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await waitForStatus(id, null);
    expect(hooksFor(id, OTHER)).toEqual([]);
  });

  it('after a lost answer from GitHub, is failed with the error, retried, and leaves exactly one hook', async () => {
    // GitHub makes the hook but the answer is a 500: the retry finds it by its URL and updates it.
    github.fail('POST /repos/:owner/:repo/hooks', { status: 500, applyFirst: true });
    const id = await createWorkflow({
      type: 'github.issueOpened',
      credential: 'gh',
      with: { repository: REPO },
    });
    await api('POST', `/api/workflows/${id}/activate`, {});
    const failed = await waitForStatus(id, 'failed');
    expect(failed?.attempts).toBe(1);
    expect(failed?.error?.code).toBe('E_UPSTREAM');
    expect(failed?.error?.message).toMatch(/HTTP 500/);
    expect(hooksFor(id)).toHaveLength(1);

    await waitForStatus(id, 'active');
    expect(hooksFor(id)).toHaveLength(1);
    expect(hookCalls('PATCH').length).toBeGreaterThan(0);
    const shown = await getWorkflow(id);
    expect(hooksFor(id)[0]?.config.secret).toBe(shown.hook.secret);
    const [delivery] = await github.deliver(REPO, 'issues', issuesOpened(REPO));
    expect(delivery?.status).toBe(202);

    // A failed delete is retried too, and the hook goes.
    github.fail('DELETE /repos/:owner/:repo/hooks/:hook_id', { status: 502 });
    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await waitForStatus(id, 'failed');
    expect(hooksFor(id)).toHaveLength(1);
    await waitForStatus(id, null);
    expect(hooksFor(id)).toEqual([]);
  });

  it('fails without retrying when the filters name no repository, with a message saying what to set', async () => {
    const id = await createWorkflow({ type: 'github.pullRequestOpened', credential: 'gh' });
    await api('POST', `/api/workflows/${id}/activate`, {});
    const failed = await waitForStatus(id, 'failed');
    expect(failed?.error).toMatchObject({ code: 'E_PARAMS', message: expect.stringMatching(/repository/) });
    expect(failed?.error?.hint).toMatch(/trigger\.with\.repository/);
    // Not retried: the job ends, and the one attempt stays recorded.
    await expect.poll(() => pendingJobs(id), { timeout: 20_000, interval: 50 }).toBe(0);
    expect((await subscriptionOf(id))?.attempts).toBe(1);
    expect(((await getWorkflow(id)) as unknown as { active: boolean }).active).toBe(true);
  });

  it('fails, saying to set VMESH_PUBLIC_URL, when the server has none; the workflow is still activated', async () => {
    const configured = engine.deps.publicUrl;
    engine.deps.publicUrl = undefined;
    try {
      const id = await createWorkflow({
        type: 'github.issueOpened',
        credential: 'gh',
        with: { repository: REPO },
      });
      const activated = await api('POST', `/api/workflows/${id}/activate`, {});
      expect(activated.active).toBe(true);
      const failed = await waitForStatus(id, 'failed');
      expect(failed?.error?.code).toBe('E_PUBLIC_URL');
      expect(failed?.error?.hint).toMatch(/VMESH_PUBLIC_URL/);
      expect(github.hooks(REPO).filter((hook) => hook.config.url.endsWith(`/hooks/${id}`))).toEqual([]);
    } finally {
      engine.deps.publicUrl = configured;
    }
  });

  it('registers nothing for a trigger without a credential (the hook is added at GitHub by hand)', async () => {
    const id = await createWorkflow({ type: 'github.issueOpened', with: { repository: REPO } });
    await api('POST', `/api/workflows/${id}/activate`, {});
    expect(await pendingJobs(id)).toBe(0);
    expect(await subscriptionOf(id)).toBeNull();
    expect(hooksFor(id)).toEqual([]);
  });
});
