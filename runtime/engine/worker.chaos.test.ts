import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  builtinConnectors,
  createCredentialStore,
  parseSecretKey,
  slackConnector,
} from '../../connectors/index.ts';
import { type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { getRunView, waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import { chaosConnector } from './testing/chaos-connector.ts';
import { runFencingScenario } from './testing/fencing-scenario.ts';
import { startInterceptProxy } from './testing/intercept-proxy.ts';
import { eventually, spawnWorker, type WorkerChild } from './testing/spawn-worker.ts';

// Crash tests with real worker processes (each spawned here; only their PIDs are signalled), a real
// Postgres and the Slack fake. Run with `npm run test:chaos`.

const secretKey = Buffer.alloc(32, 5).toString('base64');
const CHANNEL = 'C0000000001';
let db: TestDatabase;
let engine: EngineServices;
let slack: SlackFake;
const children: WorkerChild[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 12 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [...builtinConnectors, chaosConnector],
    },
  );
  slack = await startSlackFake();
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: slackConnector.credential ? [slackConnector.credential] : [],
  });
  await credentials.set('slack', 'slack', { token: slack.token });
});

/** Each test starts from no worker processes: a survivor of one test would take the next test's jobs. */
async function stopChildren(): Promise<void> {
  for (const { child, exited } of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  }
}

afterEach(stopChildren);

afterAll(async () => {
  await stopChildren();
  await slack?.close();
  await db?.drop();
});

function worker(env: Record<string, string> = {}, leaseMs = 2_000): Promise<WorkerChild> {
  return spawnWorker({
    DATABASE_URL: db.url,
    VMESH_SECRET_KEY: secretKey,
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    CHAOS_LEASE_MS: String(leaseMs),
    ...env,
  }).then((spawned) => {
    children.push(spawned);
    return spawned;
  });
}

async function eventCount(runId: string, type: string, nodeId?: string): Promise<number> {
  const [row] = await db.sql`
    select count(*)::int as n from run_events where run_id = ${runId} and type = ${type}
      and (${nodeId ?? null}::text is null or payload->>'nodeId' = ${nodeId ?? null})`;
  return Number(row?.n ?? 0);
}

const postWorkflow = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'post',
      uses: 'slack.postMessage',
      credential: 'slack',
      retry: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 500 },
      with: { channel: CHANNEL, text: `{{ trigger.text }}` },
    },
    { id: 'done', uses: 'core.transform', with: { value: '{{ steps.post.output }}' } },
  ],
  edges: [{ from: 'post', to: 'done' }],
});

describe('fencing', () => {
  it('a worker presumed dead (SIGSTOP past its 10 s lease) cannot record its late result', async () => {
    await runFencingScenario({ db, engine, leaseMs: 10_000, spawn: (leaseMs) => worker({}, leaseMs) });
  }, 120_000);
});

describe('crashes around a side effect (Slack)', () => {
  for (const when of ['after', 'before'] as const) {
    it(`kill -9 ${when} the post: exactly one message, the run completes`, async () => {
      let victim: WorkerChild | undefined;
      let armed = true;
      const kill = async () => {
        armed = false;
        victim?.child.kill('SIGKILL');
        await victim?.exited;
      };
      const proxy = await startInterceptProxy({
        target: slack.apiUrl,
        match: (request) => armed && Boolean(request.url?.includes('chat.postMessage')),
        ...(when === 'after' ? { afterForward: kill } : { beforeForward: kill }),
      });
      try {
        const before = slack.messages(CHANNEL).length;
        const { id } = await engine.workflows.create(postWorkflow(`kill ${when}`));
        victim = await worker({ CHAOS_SLACK_URL: proxy.url });
        const { runId } = await startRun(db.sql, id, { text: `hello ${when}` });
        await victim.exited;
        expect(armed).toBe(false);
        expect(slack.messages(CHANNEL).length - before).toBe(when === 'after' ? 1 : 0);
        await worker({ CHAOS_SLACK_URL: proxy.url });
        const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
        expect(view.status).toBe('succeeded');
        const posted = slack.messages(CHANNEL).filter((message) => message.text === `hello ${when}`);
        expect(posted).toHaveLength(1);
        expect(view.output).toMatchObject({ deduplicated: when === 'after' });
        expect(await eventCount(runId, 'step.succeeded', 'post')).toBe(1);
      } finally {
        await proxy.close();
      }
    }, 90_000);
  }
});

describe('graceful stop and poison steps', () => {
  it('SIGTERM mid-step: the step is aborted, the worker exits cleanly, the next worker completes it', async () => {
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'held',
      trigger: { type: 'manual' },
      nodes: [{ id: 'hold', uses: 'chaos.hold', retry: { maxAttempts: 3, initialDelayMs: 100 }, with: {} }],
      edges: [],
    });
    const first = await worker();
    const { runId } = await startRun(db.sql, id, {});
    await eventually(
      async () => {
        const [step] = await db.sql`select status from steps where run_id = ${runId} and node_id = 'hold'`;
        return step?.status === 'running';
      },
      20_000,
      'the step to start',
    );
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const [step] =
      await db.sql`select status, attempt from steps where run_id = ${runId} and node_id = 'hold'`;
    expect(step).toMatchObject({ status: 'retrying', attempt: 1 });
    await worker();
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status).toBe('succeeded');
    expect(view.output).toEqual({ attempt: 2 });
  }, 90_000);

  it('a step that crashes its worker every time fails the run after its attempts; other runs are unaffected', async () => {
    const poison = await engine.workflows.create({
      schemaVersion: 1,
      name: 'poison',
      trigger: { type: 'manual' },
      nodes: [{ id: 'boom', uses: 'chaos.crash', retry: { maxAttempts: 2 }, with: {} }],
      edges: [],
    });
    const healthy = await engine.workflows.create({
      schemaVersion: 1,
      name: 'healthy',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'a', uses: 'core.transform', with: { value: '{{ trigger.n }}' } },
        { id: 'b', uses: 'core.delay', with: { ms: 200 } },
        { id: 'c', uses: 'core.transform', with: { value: '{{ steps.a.output * 2 }}' } },
      ],
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
      ],
    });
    const { runId } = await startRun(db.sql, poison.id, {});
    const others = await Promise.all(
      [1, 2, 3].map(async (n) => (await startRun(db.sql, healthy.id, { n })).runId),
    );
    // A supervisor: whenever the worker dies, start another, until the poison run is over.
    let crashes = 0;
    for (;;) {
      let current: WorkerChild;
      try {
        current = await worker();
      } catch {
        // It took the poison job and died before it could even say it was ready.
        crashes += 1;
        expect(crashes).toBeLessThanOrEqual(3);
        continue;
      }
      const outcome = await Promise.race([
        current.exited.then(() => 'crashed' as const),
        waitForRun(db.sql, runId, { timeoutMs: 25_000 }).then(() => 'finished' as const),
      ]);
      if (outcome === 'finished') break;
      crashes += 1;
      expect(crashes).toBeLessThanOrEqual(3);
    }
    expect(crashes).toBe(2);
    const failed = await getRunView(db.sql, runId);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'E_WORKER_LOST' });
    expect(await eventCount(runId, 'run.failed')).toBe(1);
    for (const [index, other] of others.entries()) {
      const view = await waitForRun(db.sql, other, { timeoutMs: 30_000 });
      expect(view.status).toBe('succeeded');
      expect(view.output).toBe((index + 1) * 2);
    }
  }, 150_000);
});
