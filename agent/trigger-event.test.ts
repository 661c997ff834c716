import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { AppError } from '../lib/index.ts';
import { loadSystemPrompt } from '../prompts/load-prompts.ts';
import type { EngineWorker } from '../runtime/engine/worker.ts';
import { createEngineServices, type EngineServices } from '../runtime/services.ts';
import { type FeedFake, feedConnector, startFeedFake } from '../runtime/triggers/testing/feed-connector.ts';
import { executeToolCall } from '../tools/index.ts';
import { type ConversationService, createConversationService } from './conversation-service.ts';
import type { Reply } from './reply.ts';
import { createRuntimePorts } from './runtime-ports.ts';
import { testPrincipal } from './testing/principals.ts';
import { createTriggerEventTask, TRIGGER_EVENT_TASK } from './trigger-event-task.ts';

// A poll that keeps failing is told to the conversation the workflow came from, the way a failed run is: the
// app's worker runs TRIGGER_EVENT_TASK with the conversation service (no model turn is needed for it).

let db: TestDatabase;
let fake: FeedFake;
let engine: EngineServices;
let worker: EngineWorker;
let service: ConversationService;
const notified: { threadKey: string; replies: Reply[] }[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  fake = await startFeedFake();
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    {
      env: { VMESH_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'), VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' },
      connectors: [feedConnector],
    },
  );
  engine.deps.connectorEnv.baseUrls.feed = fake.url;
  service = createConversationService({
    sql: db.sql,
    provider: new AppError({ code: 'E_MODEL', message: 'no model in this test' }),
    system: loadSystemPrompt(),
    ...createRuntimePorts({ sql: db.sql, connectors: [feedConnector] }),
    notify: async (target, replies) => {
      notified.push({ threadKey: target.threadKey, replies });
    },
  });
  worker = await engine.startWorker({
    concurrency: 4,
    tasks: { [TRIGGER_EVENT_TASK]: createTriggerEventTask(service) },
  });
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
  await fake?.close();
});

describe('trigger.stalled', () => {
  it('a poll failing for 5 intervals is heard by the conversation the workflow came from, then its recovery', async () => {
    const principal = await testPrincipal(db.sql, 'ada');
    const conversation = await service.conversationFor('web:ada:feeds', principal);
    const feed = fake.feed('mail');
    // The service refuses from the start (as an IMAP server refusing the login would).
    feed.mode = 'down';
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'watch the feed',
        trigger: { type: 'feed.itemAdded', with: { feed: 'mail', intervalMs: 200 } },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.title }}' } }],
        edges: [],
      },
      { conversationRef: conversation.id },
      { activate: true },
    );
    await expect.poll(() => notified.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    const [stalled] = notified;
    expect(stalled?.threadKey).toBe('web:ada:feeds');
    expect(stalled?.replies).toEqual([
      {
        type: 'error',
        code: 'E_TRIGGER_STALLED',
        message: expect.stringMatching(
          new RegExp(
            `^trigger\\.stalled: The feed\\.itemAdded trigger of workflow "watch the feed" \\(${id}\\).*E_FEED_HTTP: The feed answered 503\\.$`,
          ),
        ),
        hint: expect.any(String),
      },
    ]);
    const stored = await db.sql`
      select content, replies from conversation_messages where conversation_id = ${conversation.id} order by id`;
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored[0]?.content)).toContain('trigger.stalled');
    // Told once, however often it fails afterwards.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(notified).toHaveLength(1);

    // The agent sees it too when it reads the workflow (get_workflow): stalled, with the vendor's error marked
    // untrusted.
    const seen = await executeToolCall(
      service.toolsFor(principal),
      { name: 'get_workflow', input: { workflowId: id } },
      await service.toolContextFor('web:ada:feeds', principal),
    );
    expect(seen.isError, seen.content).toBe(false);
    const health = (seen.value as { triggerHealth: { data: { poll: Record<string, unknown> } } })
      .triggerHealth;
    expect(health).toMatchObject({
      data: {
        poll: {
          stalled: true,
          consecutiveFailures: expect.any(Number),
          lastError: { code: 'E_FEED_HTTP', message: 'The feed answered 503.' },
        },
        subscription: null,
      },
    });

    feed.mode = 'ok';
    await expect.poll(() => notified.length, { timeout: 30_000 }).toBe(2);
    expect(notified[1]?.replies).toEqual([
      { type: 'text', text: expect.stringMatching(/^trigger\.recovered: .* polls successfully again\.$/) },
    ]);
  });
});
