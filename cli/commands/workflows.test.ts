import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createWorkflowService } from '../../runtime/store/workflow-service.ts';
import { triggerSync } from '../../runtime/triggers/trigger-kinds.ts';
import { cliEnv, runCli } from '../testing/cli-process.ts';

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url });
});
afterAll(async () => {
  await db.drop();
});

describe('vmesh workflows share|unshare (a real CLI process)', () => {
  it('changes who sees a workflow, as the local owner, and records it', async () => {
    const service = createWorkflowService(db.sql, [], { onTriggerChange: triggerSync([]) });
    const { id } = await service.create(
      {
        schemaVersion: 1,
        name: 'plans',
        trigger: { type: 'manual' },
        nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
        edges: [],
      },
      { scope: 'private' },
    );
    const shared = await runCli(['workflows', 'share', id], { env });
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stdout).toContain('is shared with the workspace');
    expect((await db.sql`select scope from workflows where id = ${id}`)[0]?.scope).toBe('workspace');
    const unshared = await runCli(['workflows', 'unshare', id], { env });
    expect(unshared.code, unshared.stderr).toBe(0);
    expect((await db.sql`select scope from workflows where id = ${id}`)[0]?.scope).toBe('private');
    const entries = await db.sql`select actor, via from audit_log where action = 'workflow.scope_changed'`;
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ actor: 'owner', via: 'cli' });
    const unknown = await runCli(['workflows', 'share', 'wf_nope'], { env });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('wf_nope');
  });
});

describe('vmesh workflows get shows how the trigger is doing (a real CLI process)', () => {
  it('an active rss.newItem workflow: its poll block, in text and JSON, failures and the stall included', async () => {
    const connectors = builtinConnectors;
    const service = createWorkflowService(db.sql, connectors, { onTriggerChange: triggerSync(connectors) });
    const { id } = await service.create(
      {
        schemaVersion: 1,
        name: 'blog',
        trigger: { type: 'rss.newItem', with: { url: 'https://blog.example.com/feed.xml' } },
        nodes: [{ id: 'a', uses: 'core.transform', with: { value: '{{ trigger.title }}' } }],
        edges: [],
      },
      {},
      { activate: true },
    );
    // What a worker leaves after polls that kept failing (runtime/triggers/poll.ts records it so).
    await db.sql`
      update poll_states set consecutive_failures = 6, last_error_code = 'E_FEED_INVALID',
        last_error = 'https://blog.example.com/feed.xml did not answer with an RSS or Atom feed', stalled_at = now()
      where workflow_id = ${id}`;
    const json = await runCli(['workflows', 'get', id, '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id,
      poll: {
        triggerType: 'rss.newItem',
        stalled: true,
        consecutiveFailures: 6,
        lastError: { code: 'E_FEED_INVALID', message: expect.stringContaining('did not answer') },
      },
      subscription: null,
    });
    const text = await runCli(['workflows', 'get', id], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^poll: STALLED, last success never, 6 failures in a row, .* E_FEED_INVALID: /m,
    );
  });
});
