import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialStore, parseSecretKey, slackConnector } from '../../connectors/index.ts';
import { type FakeSlackHit, type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createSqlClient, type Sql } from '../../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { blockBudget, takeToken } from './connection-budget.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// Rate budgets through the real engine: two workers (each its own engine, pool and graphile-worker) post to one
// Slack workspace fake that answers 429 past its own limit. The connector declares 4 requests/s with a burst of 2.

const secretKey = Buffer.alloc(32, 7).toString('base64');
const CHANNEL = 'C0000000001';
const SECOND_TOKEN = 'xoxb-second-workspace-0002';
const limit = { requests: 4, perSeconds: 1, burst: 2 };
const limitedSlack = { ...slackConnector, rateLimit: limit };

let db: TestDatabase;
let secondSql: Sql;
let slack: SlackFake;
const engines: EngineServices[] = [];
const workers: EngineWorker[] = [];
/** Vendor requests each engine's steps sent (both engines must take part). */
const sentBy = [0, 0];

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  secondSql = createSqlClient(db.url, { max: 8 });
  // The fake allows 8 per second: well above the declared 4/s + 2, so a 429 here means the budget was overrun.
  slack = await startSlackFake({ extraTokens: [SECOND_TOKEN], rateLimit: { requests: 8, windowMs: 1_000 } });
  for (const [index, sql] of [db.sql, secondSql].entries()) {
    const engine = await createEngineServices(
      { sql, url: db.url, kind: 'external', close: async () => {} },
      {
        env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
        connectors: [limitedSlack],
      },
    );
    const env = engine.deps.connectorEnv;
    env.baseUrls.slack = slack.apiUrl;
    const fetch = env.fetch;
    env.fetch = (url, init) => {
      sentBy[index] = (sentBy[index] ?? 0) + 1;
      return fetch(url, init);
    };
    engines.push(engine);
    workers.push(await engine.startWorker({ concurrency: 3 }));
  }
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: slackConnector.credential ? [slackConnector.credential] : [],
  });
  await credentials.set('slack', 'slack', { token: slack.token });
  await credentials.set('other', 'slack', { token: SECOND_TOKEN });
});

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await slack?.close();
  await secondSql?.end();
  await db?.drop();
});

async function postWorkflow(credential: string): Promise<string> {
  const engine = engines[0];
  if (!engine) throw new Error('no engine');
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name: `post with ${credential} ${Math.random()}`,
    trigger: { type: 'manual' },
    nodes: [
      {
        id: 'post',
        uses: 'slack.postMessage',
        credential,
        retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
        with: { channel: CHANNEL, text: '{{ trigger.text }}' },
      },
    ],
    edges: [],
  });
  return id;
}

const hitsOf = (token: string): FakeSlackHit[] =>
  slack.hits.filter((hit) => hit.token === token && hit.method === 'chat.postMessage');

/** Most requests in any window of `windowMs` starting at a request. */
function busiestWindow(hits: FakeSlackHit[], windowMs: number): number {
  return Math.max(
    0,
    ...hits.map((first) => hits.filter((hit) => hit.at >= first.at && hit.at < first.at + windowMs).length),
  );
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('rate budgets per connection', () => {
  it('takes tokens atomically: 20 concurrent takers of a 5-token bucket, exactly 5 get one', async () => {
    const key = { connectorId: 'test', credential: `atomic-${Date.now()}` };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        takeToken(i % 2 === 0 ? db.sql : secondSql, key, { requests: 1, perSeconds: 3_600, burst: 5 }),
      ),
    );
    expect(results.filter((result) => result.granted)).toHaveLength(5);
    for (const result of results) if (!result.granted) expect(result.waitMs).toBeGreaterThan(1_000);
  });

  it('a 429 blocks a credential of a connector without a declared limit until Retry-After', async () => {
    const key = { connectorId: 'test', credential: `blocked-${Date.now()}` };
    expect(await takeToken(db.sql, key, undefined)).toEqual({ granted: true });
    await blockBudget(db.sql, key, 2_000, undefined);
    const blocked = await takeToken(secondSql, key, undefined);
    expect(blocked.granted).toBe(false);
    if (!blocked.granted) expect(blocked.waitMs).toBeGreaterThan(1_500);
    expect((await takeToken(db.sql, { ...key, credential: `${key.credential}-b` }, undefined)).granted).toBe(
      true,
    );
  });

  it('ten runs on one credential, through two workers, all succeed without a 429 and within the declared rate', async () => {
    const workflowId = await postWorkflow('slack');
    sentBy.fill(0);
    const runIds = await Promise.all(
      Array.from(
        { length: 10 },
        async (_, i) => (await startRun(db.sql, workflowId, { text: `m${i}` })).runId,
      ),
    );
    const views = await Promise.all(runIds.map((runId) => waitForRun(db.sql, runId, { timeoutMs: 30_000 })));
    expect(views.map((view) => view.status)).toEqual(Array(10).fill('succeeded'));
    const hits = hitsOf(slack.token);
    expect(hits.filter((hit) => hit.status === 429)).toHaveLength(0);
    expect(hits).toHaveLength(10);
    // The bucket allows burst + rate × window; 250 ms of slack for the time between a take and the request.
    expect(busiestWindow(hits, 1_000)).toBeLessThanOrEqual(limit.burst + limit.requests * 1.25);
    const first = hits[0]?.at ?? 0;
    const last = hits.at(-1)?.at ?? 0;
    // After the burst, the other 8 tokens come at 4/s: the span cannot be shorter (10 % tolerance).
    expect(last - first).toBeGreaterThanOrEqual(((10 - limit.burst) / limit.requests) * 1_000 * 0.9);
    // A waiting step went back to the queue without using up attempts: every step succeeded on attempt 1.
    const attempts = await db.sql`
      select attempt from steps where run_id = any(${runIds}) and node_id = 'post'`;
    expect(attempts.map((row) => row.attempt)).toEqual(Array(10).fill(1));
    // Each wait is on record: step.throttled names the credential and the wait.
    const throttled = await db.sql`
      select payload from run_events where run_id = any(${runIds}) and type = 'step.throttled'`;
    expect(throttled.length).toBeGreaterThanOrEqual(10 - limit.burst);
    expect(throttled[0]?.payload).toMatchObject({
      nodeId: 'post',
      credential: 'slack',
      waitMs: expect.any(Number),
    });
    expect(sentBy[0]).toBeGreaterThan(0);
    expect(sentBy[1]).toBeGreaterThan(0);
  }, 40_000);

  it('a 429 with Retry-After: 2 holds every step on that credential for 2 s, and not another credential', async () => {
    const workflowId = await postWorkflow('slack');
    const otherId = await postWorkflow('other');
    slack.fail('chat.postMessage', { status: 429, headers: { 'retry-after': '2' } });
    const before = slack.hits.length;
    const { runId: limitedRun } = await startRun(db.sql, workflowId, { text: 'first' });
    await until(() => slack.hits.slice(before).some((hit) => hit.status === 429), 'the 429');
    const rateLimited = slack.hits.slice(before).find((hit) => hit.status === 429);
    await until(async () => {
      const [row] = await db.sql`
        select 1 from connection_budgets where connector_id = 'slack' and credential = 'slack'
          and blocked_until > clock_timestamp()`;
      return Boolean(row);
    }, 'the block');
    const others = await Promise.all(
      [1, 2, 3].map(async (i) => (await startRun(db.sql, workflowId, { text: `later ${i}` })).runId),
    );
    const { runId: otherRun } = await startRun(db.sql, otherId, { text: 'other workspace' });
    const views = await Promise.all(
      [limitedRun, ...others, otherRun].map((runId) => waitForRun(db.sql, runId, { timeoutMs: 30_000 })),
    );
    expect(views.map((view) => view.status)).toEqual(Array(5).fill('succeeded'));
    const blockedAt = rateLimited?.at ?? 0;
    const after = hitsOf(slack.token).filter((hit) => hit.at > blockedAt);
    expect(after).toHaveLength(4);
    // Nothing on the credential inside the Retry-After window (10 ms for the clocks' granularity).
    for (const hit of after) expect(hit.at).toBeGreaterThanOrEqual(blockedAt + 2_000 - 10);
    const other = hitsOf(SECOND_TOKEN);
    expect(other).toHaveLength(1);
    expect(other[0]?.at ?? Infinity).toBeLessThan(Math.min(...after.map((hit) => hit.at)));
    // The rate-limited step was retried (one attempt used), not failed.
    const [step] = await db.sql`select attempt from steps where run_id = ${limitedRun} and node_id = 'post'`;
    expect(step?.attempt).toBe(2);
  }, 40_000);
});
