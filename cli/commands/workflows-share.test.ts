import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
