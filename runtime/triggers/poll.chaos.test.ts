import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSqlClient, type Sql } from '../../db/client.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import {
  type RestartablePostgres,
  startRestartablePostgres,
} from '../engine/testing/restartable-postgres.ts';
import { eventually, spawnWorker, type WorkerChild } from '../engine/testing/spawn-worker.ts';
import { superviseWorkers, type WorkerSupervisor } from '../engine/testing/worker-supervisor.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { POLL_TASK } from './poll.ts';
import { type FeedFake, type FeedItem, feedConnector, startFeedFake } from './testing/feed-connector.ts';

// Fault injection on the poll strategy with real worker processes (only their PIDs are signalled), a real
// Postgres and a local feed fake: a worker killed between fetch and commit, killed between commit and the next
// poll, two worker processes polling one workflow, and a restart of Postgres. Every item must start exactly one
// run: 0 lost, 0 run twice. Run with `npm run test:chaos`.

const POLL_WORKER = fileURLToPath(new URL('./testing/poll-worker.ts', import.meta.url));
const secretKey = Buffer.alloc(32, 11).toString('base64');
const LEASE_MS = 2_000;

let fake: FeedFake;
let db: TestDatabase;
let engine: EngineServices;
const children: WorkerChild[] = [];

beforeAll(async () => {
  fake = await startFeedFake();
  db = await createTestDatabase({ poolSize: 6 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [feedConnector],
    },
  );
});

async function stopChildren(): Promise<void> {
  for (const { child, exited } of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}
afterEach(stopChildren);
afterAll(async () => {
  await stopChildren();
  await db?.drop();
  await fake?.close();
});

const workerEnv = (url: string) => ({
  DATABASE_URL: url,
  VMESH_SECRET_KEY: secretKey,
  VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
  VMESH_DB_POOL_SIZE: '6',
  CHAOS_FEED_URL: fake.url,
  CHAOS_LEASE_MS: String(LEASE_MS),
});

async function worker(): Promise<WorkerChild> {
  const spawned = await spawnWorker(workerEnv(db.url), POLL_WORKER);
  children.push(spawned);
  return spawned;
}

const feedWorkflow = (feed: string, intervalMs = 100) => ({
  schemaVersion: 1,
  name: `feed ${feed}`,
  trigger: { type: 'feed.itemAdded', with: { feed, intervalMs } },
  nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.title }}' } }],
  edges: [],
});

/** `count` items sharing timestamps in pairs (the fake lists them shuffled). */
function addItems(feed: string, prefix: string, count: number, expected: Map<string, number>): void {
  const { items } = fake.feed(feed);
  const base = items.length;
  for (let n = 0; n < count; n++) {
    const id = `${prefix}-${n}`;
    items.push({ id, at: 1_000 + Math.floor((base + n) / 2), title: id, tag: 'x' } satisfies FeedItem);
    expected.set(id, 1);
  }
}

/** Runs per item id; undefined while the database is away. */
async function runsPerItem(sql: Sql, workflowId: string): Promise<Map<string, number> | undefined> {
  try {
    const rows = await sql`
      select trigger->>'id' as id, count(*)::int as n from runs where workflow_id = ${workflowId} group by 1`;
    return new Map(rows.map((row) => [String(row.id), Number(row.n)]));
  } catch {
    return undefined;
  }
}

async function primed(sql: Sql, workflowId: string): Promise<void> {
  await eventually(
    async () =>
      (await sql`select 1 from poll_states where workflow_id = ${workflowId} and primed_at is not null`)
        .length > 0,
    30_000,
    'the first poll',
  );
}

/** Waits until every expected item has its run, then checks none ran twice and nothing else ran. */
async function expectExactlyOnce(sql: Sql, workflowId: string, expected: Map<string, number>): Promise<void> {
  await eventually(
    async () => {
      const runs = await runsPerItem(sql, workflowId);
      return runs !== undefined && [...expected.keys()].every((id) => runs.has(id));
    },
    90_000,
    `runs for all ${expected.size} items`,
  ).catch(() => {});
  const runs = (await runsPerItem(sql, workflowId)) ?? new Map();
  const lost = [...expected.keys()].filter((id) => !runs.has(id));
  const twice = [...runs].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...runs.keys()].filter((id) => !expected.has(id));
  expect({ lost, twice, unexpected }).toEqual({ lost: [], twice: [], unexpected: [] });
}

describe('poll fault injection', () => {
  it('a worker killed between fetch and commit: the next worker polls again, every item runs once', async () => {
    const feed = fake.feed('fetch-kill');
    feed.shuffle = true;
    const expected = new Map<string, number>();
    const { id } = await engine.workflows.create(feedWorkflow('fetch-kill'), {}, { activate: true });
    const victim = await worker();
    await primed(db.sql, id);
    addItems('fetch-kill', 'a', 30, expected);
    // The test holds the poll state's row lock: the worker's commit waits on it, after its fetch, until killed.
    await db.sql.begin(async (tx) => {
      await tx`select 1 from poll_states where workflow_id = ${id} for update`;
      await eventually(
        async () =>
          (
            await db.sql`
            select 1 from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query like '%poll_states%'`
          ).length > 0,
        30_000,
        'the worker to wait for the lock in its commit',
      );
      victim.child.kill('SIGKILL');
      await victim.exited;
    });
    expect(await runsPerItem(db.sql, id)).toEqual(new Map());
    await worker();
    addItems('fetch-kill', 'b', 30, expected);
    await expectExactlyOnce(db.sql, id, expected);
  }, 180_000);

  it('a worker killed between commit and the next poll: nothing is polled twice into runs', async () => {
    fake.feed('commit-kill').shuffle = true;
    const expected = new Map<string, number>();
    const { id } = await engine.workflows.create(feedWorkflow('commit-kill'), {}, { activate: true });
    let victim = await worker();
    await primed(db.sql, id);
    for (let round = 0; round < 3; round++) {
      addItems('commit-kill', `r${round}`, 20, expected);
      // Killed as soon as the runs of the new items are committed (the poll's job not yet marked done).
      await eventually(
        async () => ((await runsPerItem(db.sql, id))?.size ?? 0) >= expected.size,
        60_000,
        `round ${round} committed`,
      );
      victim.child.kill('SIGKILL');
      await victim.exited;
      victim = await worker();
    }
    addItems('commit-kill', 'last', 20, expected);
    await expectExactlyOnce(db.sql, id, expected);
    const [pending] = await db.sql`
      select count(*)::int as n from graphile_worker.jobs where key = ${`poll:${id}`}`;
    expect(pending?.n).toBe(1);
  }, 180_000);

  it('two worker processes polling one workflow (and stray duplicate poll jobs): every item runs once', async () => {
    fake.feed('two').shuffle = true;
    const expected = new Map<string, number>();
    const { id } = await engine.workflows.create(feedWorkflow('two', 50), {}, { activate: true });
    await worker();
    await worker();
    await primed(db.sql, id);
    for (let round = 0; round < 30; round++) {
      addItems('two', `r${round}`, 7, expected);
      await db.sql`
        select graphile_worker.add_job(${POLL_TASK}, ${db.sql.json({ workflowId: id })}::json)
        from generate_series(1, 4)`;
      await new Promise((resolveWait) => setTimeout(resolveWait, 150));
    }
    await expectExactlyOnce(db.sql, id, expected);
  }, 180_000);
});

describe('poll across a Postgres restart', () => {
  let pg: RestartablePostgres;
  let sql: Sql;
  let restartEngine: EngineServices;
  let supervisor: WorkerSupervisor | undefined;

  beforeAll(async () => {
    pg = await startRestartablePostgres({
      dataDir: resolve('.test-data', `pg-poll-restart-${process.pid}`),
      database: 'vmesh_poll_restart',
    });
    sql = createSqlClient(pg.url, { max: 4 });
    restartEngine = await createEngineServices(
      { sql, url: pg.url, kind: 'external', close: async () => {} },
      {
        env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
        connectors: [feedConnector],
      },
    );
  }, 120_000);
  afterAll(async () => {
    await supervisor?.stop();
    await sql?.end({ timeout: 5 });
    await pg?.destroy();
  }, 60_000);

  it('restarting Postgres while items arrive and polls commit: 0 lost, 0 run twice', async () => {
    fake.feed('restart').shuffle = true;
    const expected = new Map<string, number>();
    const { id } = await restartEngine.workflows.create(feedWorkflow('restart', 50), {}, { activate: true });
    supervisor = await superviseWorkers(2, workerEnv(pg.url), POLL_WORKER);
    await primed(sql, id);
    for (let round = 0; round < 10; round++) {
      addItems('restart', `before${round}`, 10, expected);
      await new Promise((resolveWait) => setTimeout(resolveWait, 150));
    }
    // Down while a poll is likely between its fetch and its commit: the fake answers, then the server stops.
    let restarted: Promise<unknown> | undefined;
    fake.beforeAnswer = async (name) => {
      if (name === 'restart' && !restarted) {
        restarted = pg.restart(() => addItems('restart', 'while-down', 20, expected));
      }
    };
    await eventually(async () => restarted !== undefined, 30_000, 'the restart');
    await restarted;
    fake.beforeAnswer = undefined;
    for (let round = 0; round < 10; round++) {
      addItems('restart', `after${round}`, 10, expected);
      await new Promise((resolveWait) => setTimeout(resolveWait, 150));
    }
    await expectExactlyOnce(sql, id, expected);
  }, 240_000);
});
