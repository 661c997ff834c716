import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RssEntry, type RssFake, renderRss, startRssFake } from '../../connectors/rss/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { EngineWorker } from '../engine/worker.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { getPollStatus } from './poll-state.ts';

// rss.newItem end to end: the built-in connectors, a real worker polling a local web server through the guarded
// fetch (127.0.0.1 allowed as VMESH_HTTP_ALLOW_HOSTS says), one run per entry added after activation.

let fake: RssFake;
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;

beforeAll(async () => {
  fake = await startRssFake();
  db = await createTestDatabase({ poolSize: 8 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'), VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
    },
  );
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker.stop();
  await db.drop();
  await fake.close();
});

const feedRequests = (path: string) => fake.requests.filter((request) => request.path === path).length;
const runsOf = async (workflowId: string) =>
  (
    await db.sql`select id, trigger_type, trigger from runs where workflow_id = ${workflowId} order by created_at`
  ).map((row) => ({ id: String(row.id), triggerType: String(row.triggerType), trigger: row.trigger }));
const feedWorkflow = (url: string) => ({
  schemaVersion: 1,
  name: 'new posts',
  trigger: { type: 'rss.newItem', with: { url, intervalSeconds: 1 } },
  nodes: [{ id: 'seen', uses: 'core.transform', with: { value: 'post: {{ trigger.title }}' } }],
  edges: [],
});

describe('rss.newItem through the worker', () => {
  it('records the entries there at activation, then starts exactly one run for an entry added later', async () => {
    const entries: RssEntry[] = [
      {
        guid: 'https://blog.example.com/posts/1',
        title: 'Hello world',
        link: 'https://blog.example.com/posts/1',
        pubDate: 'Tue, 03 Jun 2003 09:39:21 GMT',
        description: '<p>The first post.</p>',
      },
    ];
    fake.serve('/blog.xml', { body: renderRss('blog', entries) });
    const { id } = await engine.workflows.create(
      feedWorkflow(`${fake.url}/blog.xml`),
      {},
      { activate: true },
    );
    await expect.poll(() => feedRequests('/blog.xml'), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);

    const published = new Date(Math.floor(Date.now() / 1000) * 1000);
    entries.unshift({
      guid: 'https://blog.example.com/posts/2',
      title: 'Second &amp; better',
      link: 'https://blog.example.com/posts/2',
      pubDate: published.toUTCString(),
      description: 'Now with <a href="https://example.com">links</a> and <script>alert(1)</script>markup.',
    });
    fake.serve('/blog.xml', { body: renderRss('blog', entries) });
    await expect.poll(async () => (await runsOf(id)).length, { timeout: 15_000 }).toBe(1);
    const [run] = await runsOf(id);
    expect(run).toEqual({
      id: expect.any(String),
      triggerType: 'rss.newItem',
      trigger: {
        id: 'https://blog.example.com/posts/2',
        title: 'Second & better',
        link: 'https://blog.example.com/posts/2',
        published: published.toISOString(),
        summary: 'Now with links and markup.',
      },
    });
    expect((await waitForRun(db.sql, run?.id ?? '', { timeoutMs: 30_000 })).steps[0]?.output).toBe(
      'post: Second & better',
    );
    // Later polls list the same two entries: no further run.
    const seen = feedRequests('/blog.xml');
    await expect.poll(() => feedRequests('/blog.xml'), { timeout: 15_000 }).toBeGreaterThanOrEqual(seen + 2);
    expect(await runsOf(id)).toHaveLength(1);
    await engine.workflows.deactivate(id);
  });

  it('fails a poll of a page that is not a feed with a clear error, and retries it later', async () => {
    fake.serve('/home', {
      body: '<!doctype html><html><body>Welcome</body></html>',
      contentType: 'text/html',
    });
    const { id } = await engine.workflows.create(feedWorkflow(`${fake.url}/home`), {}, { activate: true });
    // The poll records the failure and plans the next one later (backoff); it does not start a run.
    await expect
      .poll(async () => await getPollStatus(db.sql, id), { timeout: 15_000 })
      .toMatchObject({
        consecutiveFailures: expect.any(Number),
        lastError: {
          code: 'E_FEED_INVALID',
          message: expect.stringContaining(`${fake.url}/home did not answer with an RSS or Atom feed`),
        },
      });
    const status = await getPollStatus(db.sql, id);
    expect(status?.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(Date.parse(status?.nextPollAt ?? '')).toBeGreaterThan(Date.parse(status?.lastPollAt ?? ''));
    expect(await runsOf(id)).toEqual([]);
    await engine.workflows.deactivate(id);
  });

  it('refuses a workflow whose trigger.with is not a feed URL and an interval', async () => {
    const report = engine.workflows.validate({
      ...feedWorkflow('ftp://example.com/feed.xml'),
      trigger: { type: 'rss.newItem', with: { url: 'ftp://example.com/feed.xml', intervalSeconds: 0 } },
    });
    expect(report.valid).toBe(false);
    expect(report.errors.map((issue) => [issue.code, issue.path])).toEqual([
      ['E_TRIGGER', '/trigger/with/url'],
      ['E_TRIGGER', '/trigger/with/intervalSeconds'],
    ]);
    await expect(
      engine.workflows.create(
        { ...feedWorkflow('x'), trigger: { type: 'rss.newItem', with: {} } },
        {},
        { activate: true },
      ),
    ).rejects.toThrow(/trigger\.with\.url/);
  });
});
