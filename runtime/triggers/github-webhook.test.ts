import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { signGithubPayload } from '../../connectors/github/webhook.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';

// Real deliveries as GitHub sends them (headers and body shape from GitHub's webhook docs), over HTTP to the
// engine's /hooks route, with a real worker running the started run.

let db: TestDatabase;
let app: FastifyInstance;
let baseUrl: string;
let worker: EngineWorker;
const token = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

const repository = {
  full_name: 'octo-org/hello-world',
  name: 'hello-world',
  owner: { login: 'octo-org' },
};
const issuesOpened = {
  action: 'opened',
  issue: {
    number: 42,
    title: 'Checkout fails with a 500',
    body: 'Steps to reproduce: …',
    html_url: 'https://github.com/octo-org/hello-world/issues/42',
    labels: [{ name: 'bug' }],
    user: { login: 'octocat' },
  },
  repository,
  sender: { login: 'octocat' },
};
const pullRequestOpened = {
  action: 'opened',
  pull_request: {
    number: 7,
    title: 'Fix checkout rounding',
    body: null,
    html_url: 'https://github.com/octo-org/hello-world/pull/7',
    draft: false,
    user: { login: 'octocat' },
    head: { ref: 'fix-rounding' },
    base: { ref: 'main' },
  },
  repository,
  sender: { login: 'hubot' },
};

async function api(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: auth,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, `${path}: ${response.status}`).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

/** Stores and activates a workflow through the API; returns its id and the hook URL and secret GitHub is given. */
async function createActive(
  trigger: Record<string, unknown>,
): Promise<{ id: string; url: string; secret: string }> {
  const created = await api('/api/workflows', {
    document: {
      schemaVersion: 1,
      name: `gh-${String(trigger.type)}-${Math.random()}`,
      trigger,
      nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger }}' } }],
      edges: [],
    },
  });
  const id = String(created.id);
  await api(`/api/workflows/${id}/activate`, {});
  const shown = await api(`/api/workflows/${id}`);
  const hook = shown.hook as { url: string; secret: string };
  return { id, url: hook.url.replace('http://127.0.0.1:3000', baseUrl), secret: hook.secret };
}

function deliver(
  url: string,
  options: { event: string; body: string; signature: string; delivery: string; contentType?: string },
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': options.event,
      'x-github-delivery': options.delivery,
      'x-github-hook-id': '292430182',
      'x-hub-signature-256': options.signature,
    },
    body: options.body,
  });
}

async function runsOf(workflowId: string): Promise<{ id: string; triggerType: string; trigger: unknown }[]> {
  const rows = await db.sql`
    select id, trigger_type, trigger from runs where workflow_id = ${workflowId} order by created_at`;
  return rows.map((row) => ({
    id: String(row.id),
    triggerType: String(row.triggerType),
    trigger: row.trigger,
  }));
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  const engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, connectors: builtinConnectors },
  );
  app = createHttpServer({
    database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken: token, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker.stop();
  await app.close();
  await db.drop();
});

describe('github.issueOpened through POST /hooks/:workflowId', () => {
  it('starts exactly one run with the documented trigger data, and a redelivery returns the same run', async () => {
    const hook = await createActive({ type: 'github.issueOpened', with: { labels: ['bug'] } });
    const body = JSON.stringify(issuesOpened);
    const delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
    const first = await deliver(hook.url, {
      event: 'issues',
      body,
      signature: signGithubPayload(body, hook.secret),
      delivery,
    });
    expect(first.status).toBe(202);
    const { runId } = (await first.json()) as { runId: string };

    const data = {
      repository: 'octo-org/hello-world',
      owner: 'octo-org',
      repo: 'hello-world',
      issue: {
        number: 42,
        title: 'Checkout fails with a 500',
        body: 'Steps to reproduce: …',
        url: 'https://github.com/octo-org/hello-world/issues/42',
        labels: ['bug'],
        author: 'octocat',
      },
      sender: 'octocat',
    };
    const run = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.steps.find((step) => step.id === 'seen')?.output).toEqual(data);

    const again = await deliver(hook.url, {
      event: 'issues',
      body,
      signature: signGithubPayload(body, hook.secret),
      delivery,
    });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { runId: string }).runId).toBe(runId);
    expect(await runsOf(hook.id)).toEqual([{ id: runId, triggerType: 'github.issueOpened', trigger: data }]);
  });

  it('answers 401 to a bad or missing signature and starts no run', async () => {
    const hook = await createActive({ type: 'github.issueOpened' });
    const body = JSON.stringify(issuesOpened);
    const wrongSecret = await deliver(hook.url, {
      event: 'issues',
      body,
      signature: signGithubPayload(body, 'not-the-hook-secret'),
      delivery: 'd-1',
    });
    expect(wrongSecret.status).toBe(401);
    expect(((await wrongSecret.json()) as { error: { code: string } }).error.code).toBe('E_UNAUTHORIZED');
    const tampered = await deliver(hook.url, {
      event: 'issues',
      body: body.replace('Checkout', 'Checkin'),
      signature: signGithubPayload(body, hook.secret),
      delivery: 'd-2',
    });
    expect(tampered.status).toBe(401);
    // The engine's own x-vmesh-secret does not stand in for GitHub's signature on a GitHub trigger.
    const vmeshSecret = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-vmesh-secret': hook.secret,
      },
      body,
    });
    expect(vmeshSecret.status).toBe(401);
    expect(await runsOf(hook.id)).toEqual([]);
  });

  it("checks signatures exactly as GitHub's documented test vector computes them", async () => {
    const hook = await createActive({ type: 'github.issueOpened' });
    // GitHub's docs: secret "It's a Secret to Everybody", payload "Hello, World!".
    await db.sql`update workflows set hook_secret = ${"It's a Secret to Everybody"} where id = ${hook.id}`;
    const vector = {
      event: 'ping',
      body: 'Hello, World!',
      signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      delivery: 'vector-1',
      contentType: 'text/plain',
    };
    expect((await deliver(hook.url, vector)).status).toBe(200);
    const flipped = { ...vector, signature: vector.signature.replace(/7$/, '8'), delivery: 'vector-2' };
    expect((await deliver(hook.url, flipped)).status).toBe(401);
    expect(await runsOf(hook.id)).toEqual([]);
  });

  it('answers 2xx and starts no run for events the trigger does not start on', async () => {
    const hook = await createActive({ type: 'github.issueOpened', with: { labels: ['bug'] } });
    const send = (event: string, payload: unknown, delivery: string) => {
      const body = JSON.stringify(payload);
      return deliver(hook.url, { event, body, signature: signGithubPayload(body, hook.secret), delivery });
    };
    const ping = await send('ping', { zen: 'Keep it logically awesome.', hook_id: 292430182 }, 'p-1');
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ ignored: expect.stringMatching(/does not start on this delivery/) });
    expect((await send('issues', { ...issuesOpened, action: 'closed' }, 'c-1')).status).toBe(200);
    expect((await send('pull_request', pullRequestOpened, 'pr-1')).status).toBe(200);
    const unlabelled = { ...issuesOpened, issue: { ...issuesOpened.issue, labels: [{ name: 'question' }] } };
    const filtered = await send('issues', unlabelled, 'f-1');
    expect(filtered.status).toBe(200);
    expect(await filtered.json()).toEqual({ ignored: expect.stringMatching(/filters/) });
    expect(await runsOf(hook.id)).toEqual([]);
  });

  it('starts nothing for an inactive workflow (409), as for every hook', async () => {
    const hook = await createActive({ type: 'github.issueOpened' });
    await api(`/api/workflows/${hook.id}/deactivate`, {});
    const body = JSON.stringify(issuesOpened);
    const response = await deliver(hook.url, {
      event: 'issues',
      body,
      signature: signGithubPayload(body, hook.secret),
      delivery: 'i-1',
    });
    expect(response.status).toBe(409);
    expect(await runsOf(hook.id)).toEqual([]);
  });
});

describe('github.pullRequestOpened through POST /hooks/:workflowId', () => {
  it('starts one run with the documented data; filters, bad signatures and redeliveries start none', async () => {
    const hook = await createActive({ type: 'github.pullRequestOpened', with: { baseBranch: 'main' } });
    const body = JSON.stringify(pullRequestOpened);
    const signature = signGithubPayload(body, hook.secret);
    const first = await deliver(hook.url, { event: 'pull_request', body, signature, delivery: 'pr-a' });
    expect(first.status).toBe(202);
    const { runId } = (await first.json()) as { runId: string };
    const run = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]?.output).toEqual({
      repository: 'octo-org/hello-world',
      owner: 'octo-org',
      repo: 'hello-world',
      pullRequest: {
        number: 7,
        title: 'Fix checkout rounding',
        body: '',
        url: 'https://github.com/octo-org/hello-world/pull/7',
        author: 'octocat',
        draft: false,
        headBranch: 'fix-rounding',
        baseBranch: 'main',
      },
      sender: 'hubot',
    });
    const again = await deliver(hook.url, { event: 'pull_request', body, signature, delivery: 'pr-a' });
    expect(((await again.json()) as { runId: string }).runId).toBe(runId);

    const bad = await deliver(hook.url, {
      event: 'pull_request',
      body,
      signature: signGithubPayload(body, 'wrong'),
      delivery: 'pr-b',
    });
    expect(bad.status).toBe(401);
    const intoDevelop = JSON.stringify({
      ...pullRequestOpened,
      pull_request: { ...pullRequestOpened.pull_request, base: { ref: 'develop' } },
    });
    const filtered = await deliver(hook.url, {
      event: 'pull_request',
      body: intoDevelop,
      signature: signGithubPayload(intoDevelop, hook.secret),
      delivery: 'pr-c',
    });
    expect(filtered.status).toBe(200);
    const closed = JSON.stringify({ ...pullRequestOpened, action: 'closed' });
    const closedResponse = await deliver(hook.url, {
      event: 'pull_request',
      body: closed,
      signature: signGithubPayload(closed, hook.secret),
      delivery: 'pr-d',
    });
    expect(closedResponse.status).toBe(200);
    expect((await runsOf(hook.id)).map((row) => row.id)).toEqual([runId]);
  });
});
