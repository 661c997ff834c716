import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineConnector, definePollTrigger } from '../../connectors/sdk/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { pollJobKey } from './poll.ts';

// A poll trigger end to end: a connector that lists a feed over HTTP (a local fake), one pending poll job per
// active workflow, one run per new item that passes the filters, none for items that were there before.

/** `seq` is the feed position (the cursor); an item re-listed after an edit gets a new seq, same id. */
type FeedItem = { seq: number; id: number; title: string; tag: string };
let feed: FastifyInstance;
let feedUrl = '';
const items: FeedItem[] = [{ seq: 1, id: 1, title: 'there before activation', tag: 'bug' }];
let requests = 0;

const FeedData = z.object({ seq: z.number(), id: z.number(), title: z.string(), tag: z.string() });
const itemAdded = definePollTrigger({
  key: 'itemAdded',
  title: 'Feed item added',
  description: 'Starts the workflow for each new item of the feed (polled every 200 ms in this test).',
  kind: 'poll',
  intervalMs: () => 200,
  state: z.object({}),
  with: z.strictObject({ tag: z.string().optional().describe('Only items with this tag.') }),
  data: FeedData,
  sample: { seq: 1, id: 1, title: 'x', tag: 'bug' },
  matches: (filters, data) => !filters.tag || FeedData.parse(data).tag === filters.tag,
  async poll(ctx: { client: { since(after: number): Promise<FeedItem[]> } }, _filters, request) {
    const found = await ctx.client.since(request.after?.at ?? 0);
    return { items: found.map((item) => ({ id: String(item.id), at: item.seq, data: item })) };
  },
});
const feedConnector = defineConnector({
  id: 'feed',
  version: '1.0.0',
  title: 'Feed',
  description: 'A test feed.',
  createClient: ({ env, signal }) => ({
    async since(after: number): Promise<FeedItem[]> {
      const response = await env.fetch(`${feedUrl}/items?since=${after}`, { signal });
      return (await response.json()) as FeedItem[];
    },
  }),
  actions: [],
  triggers: [itemAdded],
  docPath: '/dev/null',
});

let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  feed = Fastify();
  feed.get('/items', async (request) => {
    requests += 1;
    const since = Number((request.query as { since?: string }).since ?? 0);
    return items.filter((item) => item.seq > since);
  });
  feedUrl = await feed.listen({ host: '127.0.0.1', port: 0 });
  db = await createTestDatabase({ poolSize: 8 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [feedConnector],
    },
  );
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker.stop();
  await db.drop();
  await feed.close();
});

const pendingPollJobs = async (workflowId: string) =>
  (
    await db.sql`select count(*)::int as n from graphile_worker._private_jobs where key = ${pollJobKey(workflowId)}`
  )[0]?.n as number;
const runsOf = async (workflowId: string) =>
  (
    await db.sql`select id, trigger_type, trigger from runs where workflow_id = ${workflowId} order by created_at`
  ).map((row) => ({ id: String(row.id), triggerType: String(row.triggerType), trigger: row.trigger }));

describe('poll trigger', () => {
  it('polls while active: one run per new matching item, none for old, repeated or filtered items', async () => {
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'new bugs',
        trigger: { type: 'feed.itemAdded', with: { tag: 'bug' } },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.title }}' } }],
        edges: [],
      },
      {},
      { activate: true },
    );
    expect(await pendingPollJobs(id)).toBe(1);
    // The first poll sets the cursor only.
    await expect.poll(() => requests, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    items.push(
      { seq: 2, id: 2, title: 'checkout broken', tag: 'bug' },
      { seq: 3, id: 3, title: 'how do I', tag: 'question' },
    );
    await expect.poll(async () => (await runsOf(id)).length, { timeout: 10_000 }).toBe(1);
    const [run] = await runsOf(id);
    expect(run).toEqual({ id: expect.any(String), triggerType: 'feed.itemAdded', trigger: items[1] });
    expect((await waitForRun(db.sql, run?.id ?? '', { timeoutMs: 30_000 })).steps[0]?.output).toBe(
      'checkout broken',
    );
    // Item 2 is re-listed after an edit (same id, new position): still one run.
    items.push({ seq: 4, id: 2, title: 'checkout broken (edited)', tag: 'bug' });
    const seen = requests;
    await expect.poll(() => requests, { timeout: 10_000 }).toBeGreaterThanOrEqual(seen + 3);
    expect(await runsOf(id)).toHaveLength(1);

    // A new version keeps the one pending job (and its cursor): the next new item runs on the new version.
    await engine.workflows.addVersion(id, {
      schemaVersion: 1,
      name: 'new bugs',
      trigger: { type: 'feed.itemAdded', with: { tag: 'bug' } },
      nodes: [{ id: 'seen', uses: 'core.transform', with: { value: 'v2: {{ trigger.title }}' } }],
      edges: [],
    });
    expect(await pendingPollJobs(id)).toBe(1);
    items.push({ seq: 5, id: 5, title: 'login loop', tag: 'bug' });
    await expect.poll(async () => (await runsOf(id)).length, { timeout: 10_000 }).toBe(2);
    const second = (await runsOf(id))[1];
    expect((await waitForRun(db.sql, second?.id ?? '', { timeoutMs: 30_000 })).steps[0]?.output).toBe(
      'v2: login loop',
    );

    // Deactivation removes the job and polling stops.
    await engine.workflows.deactivate(id);
    expect(await pendingPollJobs(id)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stopped = requests;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(requests).toBe(stopped);
  });
});
