import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../app/server.ts';
import { createCredentialStore, parseSecretKey } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { blockBudget } from '../engine/connection-budget.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { backoffMs, POLL_RESYNC_TASK, POLL_TASK, pollJobKey } from './poll.ts';
import { getPollStatus } from './poll-state.ts';
import { type FeedFake, type FeedItem, feedConnector, startFeedFake } from './testing/feed-connector.ts';
import { TRIGGER_EVENT_TASK } from './trigger-events.ts';

// The poll strategy end to end: a test connector that lists a whole feed (a local fake) every time, a real worker,
// and the runtime alone deciding what is new. Each test polls its own feed and workflow.

let fake: FeedFake;
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let app: FastifyInstance;
const apiToken = 'poll-test-token-0123456789';

beforeAll(async () => {
  fake = await startFeedFake();
  db = await createTestDatabase({ poolSize: 10 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [feedConnector],
    },
  );
  engine.deps.connectorEnv.baseUrls.feed = fake.url;
  worker = await engine.startWorker({ concurrency: 6 });
  app = createHttpServer({
    database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken, publicUrl: 'http://localhost' },
  });
  engine.registerHttp(app, { publicUrl: 'http://127.0.0.1:3000' });
});
afterAll(async () => {
  await app?.close();
  await worker?.stop();
  await db?.drop();
  await fake?.close();
});

const feedWorkflow = (
  feed: string,
  filters: Record<string, unknown> = {},
  value = '{{ trigger.title }}',
) => ({
  schemaVersion: 1,
  name: `feed ${feed}`,
  trigger: { type: 'feed.itemAdded', with: { feed, intervalMs: 100, ...filters } },
  nodes: [{ id: 'seen', uses: 'core.transform', with: { value } }],
  edges: [],
});
const entry = (id: string, at: number, tag = 'bug'): FeedItem => ({ id, at, title: `item ${id}`, tag });

/** How many runs each item id started. */
async function runsPerItem(workflowId: string): Promise<Record<string, number>> {
  const rows = await db.sql`
    select trigger->>'id' as id, count(*)::int as n from runs where workflow_id = ${workflowId} group by 1`;
  return Object.fromEntries(rows.map((row) => [String(row.id), Number(row.n)]));
}
const pendingPollJobs = async (workflowId: string) =>
  Number(
    (
      await db.sql`select count(*)::int as n from graphile_worker._private_jobs where key = ${pollJobKey(workflowId)}`
    )[0]?.n,
  );
const version = async (workflowId: string) =>
  Number((await db.sql`select version from poll_states where workflow_id = ${workflowId}`)[0]?.version ?? -1);
/** Waits for `count` more committed polls. */
async function polls(workflowId: string, count = 2): Promise<void> {
  const start = await version(workflowId);
  await expect.poll(() => version(workflowId), { timeout: 20_000 }).toBeGreaterThanOrEqual(start + count);
}

describe('poll trigger', () => {
  it('records on the first poll, then one run per new item: equal timestamps, out of order, missing anchor', async () => {
    const feed = fake.feed('basic');
    feed.items.push(entry('m', 100), entry('k', 50));
    const { id } = await engine.workflows.create(
      feedWorkflow('basic', { tag: 'bug' }),
      {},
      { activate: true },
    );
    expect(await pendingPollJobs(id)).toBe(1);
    await expect.poll(async () => (await getPollStatus(db.sql, id))?.primed, { timeout: 20_000 }).toBe(true);
    expect(await runsPerItem(id)).toEqual({});

    // Same timestamp as the watermark with a smaller id, a newer one, and one of another tag.
    feed.shuffle = true;
    feed.items.push(entry('c', 100), entry('x', 200), entry('q', 300, 'question'));
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ c: 1, x: 1 });
    // Listed late, older than the watermark.
    feed.items.push(entry('e', 150));
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ c: 1, x: 1, e: 1 });
    // The anchor (x, the newest handled) disappears; an edit re-lists c with a new timestamp; y is new.
    feed.items.splice(
      feed.items.findIndex((item) => item.id === 'x'),
      1,
    );
    feed.items.push({ ...entry('c', 400), title: 'item c (edited)' }, entry('y', 250));
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ c: 1, x: 1, e: 1, y: 1 });
    await polls(id, 3);
    expect(await runsPerItem(id)).toEqual({ c: 1, x: 1, e: 1, y: 1 });
    const status = await getPollStatus(db.sql, id);
    expect(status).toMatchObject({ consecutiveFailures: 0, stalled: false, lastError: null });
    // The connector's own state is kept between polls.
    const [row] = await db.sql`select connector_state from poll_states where workflow_id = ${id}`;
    expect(row?.connectorState).toEqual({ polls: expect.any(Number) });
    expect((row?.connectorState as { polls: number } | undefined)?.polls).toBeGreaterThan(3);
  });

  it('a new version keeps the cursor; deactivation stops and forgets; reactivation records again', async () => {
    const feed = fake.feed('versions');
    feed.items.push(entry('a', 1));
    const { id } = await engine.workflows.create(feedWorkflow('versions'), {}, { activate: true });
    await polls(id, 1);
    feed.items.push(entry('b', 2));
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ b: 1 });

    await engine.workflows.addVersion(id, feedWorkflow('versions', {}, 'v2: {{ trigger.title }}'));
    expect(await pendingPollJobs(id)).toBe(1);
    feed.items.push(entry('c', 3));
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ b: 1, c: 1 });
    const [run] = await db.sql`select id from runs where workflow_id = ${id} and trigger->>'id' = 'c'`;
    expect((await waitForRun(db.sql, String(run?.id), { timeoutMs: 20_000 })).steps[0]?.output).toBe(
      'v2: item c',
    );

    await engine.workflows.deactivate(id);
    expect(await pendingPollJobs(id)).toBe(0);
    expect(await getPollStatus(db.sql, id)).toBeUndefined();
    const stopped = feed.requests;
    feed.items.push(entry('d', 4));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(feed.requests).toBeLessThanOrEqual(stopped + 1);

    // Reactivation is a first activation: d (added while inactive) is recorded, not run.
    await engine.workflows.activate(id);
    await polls(id, 2);
    feed.items.push(entry('e', 5));
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ b: 1, c: 1, e: 1 });
  });

  it('a poll job that used up its attempts (a long database outage) is restored by the resync task, cursor kept', async () => {
    const feed = fake.feed('resync');
    feed.items.push(entry('a', 1));
    const { id } = await engine.workflows.create(feedWorkflow('resync'), {}, { activate: true });
    await polls(id, 1);
    feed.items.push(entry('b', 2));
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ b: 1 });
    // What graphile-worker leaves after the last failed attempt: the job stays, and no worker takes it again.
    await expect
      .poll(
        async () =>
          (
            await db.sql`
              update graphile_worker._private_jobs set attempts = max_attempts, run_at = now() + interval '1 day'
              where key = ${pollJobKey(id)} and locked_at is null returning id`
          ).length,
        { timeout: 10_000 },
      )
      .toBe(1);
    feed.items.push(entry('c', 3));
    const stuck = feed.requests;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(feed.requests).toBeLessThanOrEqual(stuck + 1);
    expect(await runsPerItem(id)).toEqual({ b: 1 });

    // The cron task, run by the worker as cron would: the job comes back, the cursor is kept (a and b run nothing).
    await db.sql`select graphile_worker.add_job(${POLL_RESYNC_TASK}, '{}'::json)`;
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ b: 1, c: 1 });
    expect(await pendingPollJobs(id)).toBe(1);
    await engine.workflows.deactivate(id);
  });

  it('backfill: N fires the newest N items on the first poll, oldest first; the validator bounds it', async () => {
    const feed = fake.feed('backfill');
    feed.items.push(entry('a', 1), entry('b', 2), entry('c', 3), entry('d', 4));
    const { id } = await engine.workflows.create(
      feedWorkflow('backfill', { backfill: 2 }),
      {},
      { activate: true },
    );
    await expect.poll(() => runsPerItem(id), { timeout: 20_000 }).toEqual({ c: 1, d: 1 });
    const order =
      await db.sql`select trigger->>'id' as id from runs where workflow_id = ${id} order by created_at, id`;
    expect(order.map((row) => row.id)).toEqual(['c', 'd']);
    await polls(id, 2);
    expect(await runsPerItem(id)).toEqual({ c: 1, d: 1 });

    await expect(
      engine.workflows.create(feedWorkflow('backfill', { backfill: 101 }), {}, { activate: true }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_WORKFLOW',
      details: { errors: [expect.objectContaining({ code: 'E_TRIGGER', path: '/trigger/with/backfill' })] },
    });
  });

  it('a feed that is not JSON fails with a clear error, backs off, raises trigger.stalled once, then recovers', async () => {
    const feed = fake.feed('broken');
    feed.items.push(entry('a', 1));
    const { id } = await engine.workflows.create(
      feedWorkflow('broken', { intervalMs: 200 }),
      {},
      { activate: true },
    );
    await polls(id, 1);
    feed.mode = 'html';
    await expect
      .poll(async () => (await getPollStatus(db.sql, id))?.consecutiveFailures, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(1);
    const failed = await getPollStatus(db.sql, id);
    expect(failed?.lastError).toEqual({
      code: 'E_FEED_INVALID',
      message: expect.stringContaining('is not JSON (it starts with "<html>'),
    });
    // The next poll waits the interval doubled per failure (not graphile-worker's retry).
    const [timing] = await db.sql`
      select consecutive_failures as failures, extract(epoch from next_poll_at - last_poll_at) * 1000 as gap
      from poll_states where workflow_id = ${id}`;
    const expected = backoffMs(200, Number(timing?.failures));
    expect(Number(timing?.gap)).toBeGreaterThanOrEqual(expected - 50);
    expect(Number(timing?.gap)).toBeLessThan(expected + 2_000);
    const [job] = await db.sql`
      select attempts, last_error from graphile_worker._private_jobs where key = ${pollJobKey(id)}`;
    expect(job).toMatchObject({ attempts: 0, lastError: null });

    // Not succeeded for 5 intervals (1 s): one trigger.stalled, whatever the failures after it.
    await expect.poll(async () => (await getPollStatus(db.sql, id))?.stalled, { timeout: 20_000 }).toBe(true);
    await expect
      .poll(async () => (await getPollStatus(db.sql, id))?.consecutiveFailures, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(3);
    const events =
      await db.sql`select type, details from trigger_events where workflow_id = ${id} order by id`;
    expect(events).toHaveLength(1);
    // Not before 5 intervals without a success (the last success was the first poll).
    const [quiet] = await db.sql`
      select extract(epoch from e.created_at - s.last_success_at) * 1000 as ms
      from trigger_events e join poll_states s on s.workflow_id = e.workflow_id where e.workflow_id = ${id}`;
    expect(Number(quiet?.ms)).toBeGreaterThanOrEqual(5 * 200);
    expect(events[0]).toMatchObject({
      type: 'trigger.stalled',
      details: { triggerType: 'feed.itemAdded', intervalMs: 200, error: { code: 'E_FEED_INVALID' } },
    });
    // The workflow's API view shows it.
    const view = await app.inject({
      method: 'GET',
      url: `/api/workflows/${id}`,
      headers: { authorization: `Bearer ${apiToken}` },
    });
    expect(view.json().poll).toMatchObject({
      triggerType: 'feed.itemAdded',
      primed: true,
      stalled: true,
      consecutiveFailures: expect.any(Number),
      lastSuccessAt: expect.any(String),
      lastError: { code: 'E_FEED_INVALID', message: expect.stringContaining('not JSON') },
    });
    const told = await db.sql`
      select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = ${TRIGGER_EVENT_TASK}`;
    expect(told.map((row) => row.payload)).toContainEqual({ eventId: expect.any(String) });

    // The feed comes back: trigger.recovered, the failures reset, new items run (none of the old).
    feed.mode = 'ok';
    feed.items.push(entry('b', 2));
    await expect.poll(() => runsPerItem(id), { timeout: 30_000 }).toEqual({ b: 1 });
    expect(await getPollStatus(db.sql, id)).toMatchObject({ consecutiveFailures: 0, stalled: false });
    const after = await db.sql`select type from trigger_events where workflow_id = ${id} order by id`;
    expect(after.map((row) => row.type)).toEqual(['trigger.stalled', 'trigger.recovered']);
  });

  it('a credential blocked by a 429 holds its polls until the block ends, and it is not a poll failure', async () => {
    const store = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(Buffer.alloc(32, 7).toString('base64')),
      types: feedConnector.credential ? [feedConnector.credential] : [],
    });
    await store.set('feedlimited', 'feed', { token: 'feed-token-limited' });
    const feed = fake.feed('limited');
    feed.items.push(entry('a', 1));
    const requestedAt: number[] = [];
    fake.beforeAnswer = async (name) => {
      if (name === 'limited') requestedAt.push(Date.now());
    };
    const blockedAt = Date.now();
    await blockBudget(db.sql, { connectorId: 'feed', credential: 'feedlimited' }, 1_500, undefined);
    const { id } = await engine.workflows.create(
      {
        ...feedWorkflow('limited', { intervalMs: 100 }),
        trigger: { ...feedWorkflow('limited', { intervalMs: 100 }).trigger, credential: 'feedlimited' },
      },
      {},
      { activate: true },
    );
    await expect.poll(async () => (await getPollStatus(db.sql, id))?.primed, { timeout: 20_000 }).toBe(true);
    fake.beforeAnswer = undefined;
    // No request inside the block (10 ms for the clocks' granularity), and waiting was no failure.
    expect(requestedAt.length).toBeGreaterThanOrEqual(1);
    expect(requestedAt[0]).toBeGreaterThanOrEqual(blockedAt + 1_500 - 10);
    expect((await getPollStatus(db.sql, id))?.consecutiveFailures).toBe(0);
  });

  it('a refused login is recorded redacted: the credential never reaches the poll state or the events', async () => {
    const token = `feed-secret-${Date.now()}-canary`;
    const store = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(Buffer.alloc(32, 7).toString('base64')),
      types: feedConnector.credential ? [feedConnector.credential] : [],
    });
    await store.set('feedtoken', 'feed', { token });
    const feed = fake.feed('login');
    feed.mode = 'deny';
    const { id } = await engine.workflows.create(
      {
        ...feedWorkflow('login', { intervalMs: 100 }),
        trigger: { ...feedWorkflow('login', { intervalMs: 100 }).trigger, credential: 'feedtoken' },
      },
      {},
      { activate: true },
    );
    await expect.poll(async () => (await getPollStatus(db.sql, id))?.stalled, { timeout: 20_000 }).toBe(true);
    const status = await getPollStatus(db.sql, id);
    expect(status?.lastError?.code).toBe('E_FEED_HTTP');
    expect(status?.lastError?.message).toMatch(/^The feed answered 401: .*login failed for Bearer /);
    const stored = JSON.stringify([
      await db.sql`select * from poll_states where workflow_id = ${id}`,
      await db.sql`select * from trigger_events where workflow_id = ${id}`,
    ]);
    expect(stored).not.toContain(token);
    expect(stored).toContain('login failed');
  });

  it('two workers and stray duplicate poll jobs: every item runs exactly once', async () => {
    const second = await engine.startWorker({ concurrency: 4 });
    try {
      const feed = fake.feed('race');
      feed.shuffle = true;
      const { id } = await engine.workflows.create(
        feedWorkflow('race', { intervalMs: 50 }),
        {},
        { activate: true },
      );
      await polls(id, 1);
      const expected: Record<string, number> = {};
      for (let round = 0; round < 20; round++) {
        for (let n = 0; n < 5; n++) {
          const itemId = `r${round}-${n}`;
          feed.items.push(entry(itemId, 1_000 + round * 10 + (n % 2)));
          expected[itemId] = 1;
        }
        // Polls of the same workflow at once, beside the one keyed job (as after a released lease).
        await db.sql`
          select graphile_worker.add_job(${POLL_TASK}, ${db.sql.json({ workflowId: id })}::json)
          from generate_series(1, 3)`;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await expect.poll(() => runsPerItem(id), { timeout: 30_000 }).toEqual(expected);
      await polls(id, 2);
      expect(await runsPerItem(id)).toEqual(expected);
      expect(await pendingPollJobs(id)).toBe(1);
    } finally {
      await second.stop();
    }
  });
});
