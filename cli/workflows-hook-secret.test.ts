import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { createWorkflowService } from '../runtime/store/workflow-service.ts';
import { triggerSync } from '../runtime/triggers/trigger-kinds.ts';
import { cliEnv, runCli } from './testing/cli-process.ts';

/** `vmesh workflows hook-secret ID --set` as a real process: the secret comes from stdin and is never printed. */
describe('vmesh workflows hook-secret ID --set', () => {
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let workflowId: string;

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 2 });
    env = cliEnv({ DATABASE_URL: db.url, VMESH_DATA_DIR: '/nonexistent' });
    const service = createWorkflowService(db.sql, builtinConnectors, {
      onTriggerChange: triggerSync(builtinConnectors),
    });
    const created = await service.create(
      {
        schemaVersion: 1,
        name: 'Stripe payments',
        trigger: { type: 'webhook', with: { verify: 'stripe' } },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.body }}' } }],
        edges: [],
      },
      {},
    );
    workflowId = created.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  const hookSecret = async () =>
    String((await db.sql`select hook_secret from workflows where id = ${workflowId}`)[0]?.hookSecret);

  it('sets the secret read from stdin, audited, without printing it', async () => {
    const secret = 'whsec_4eC39HqLyjWDarjtT1zdp7dcWvd1S9sJ';
    const result = await runCli(['workflows', 'hook-secret', workflowId, '--set'], {
      env,
      stdin: `${secret}\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Set the hook secret of workflow ${workflowId}`);
    expect(result.stdout + result.stderr).not.toContain(secret);
    expect(await hookSecret()).toBe(secret);
    const audited = await db.sql`
      select actor, details from audit_log where subject_id = ${workflowId} and action = 'hook_secret.set'`;
    expect(audited).toHaveLength(1);
    expect(JSON.stringify(audited)).not.toContain(secret);
  });

  // 2: the CLI's exit code for a command that failed (cli/main.ts).
  it('exits non-zero with a clear message on empty stdin, a too-short secret, no --set or an unknown id', async () => {
    const before = await hookSecret();
    const [empty, none, short, noSet, unknown] = await Promise.all([
      runCli(['workflows', 'hook-secret', workflowId, '--set'], { env, stdin: '\n' }),
      runCli(['workflows', 'hook-secret', workflowId, '--set'], { env, stdin: null }),
      runCli(['workflows', 'hook-secret', workflowId, '--set'], { env, stdin: 'tiny' }),
      runCli(['workflows', 'hook-secret', workflowId], { env, stdin: 'a-long-enough-secret-0123456789' }),
      runCli(['workflows', 'hook-secret', 'wf_unknown', '--set'], {
        env,
        stdin: 'a-long-enough-secret-0123456789',
      }),
    ]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('No secret on stdin');
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toContain('No secret on stdin');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('16 to 512 printable characters');
    expect(short.stderr).not.toContain('tiny');
    expect(noSet.code).toBe(2);
    expect(noSet.stderr).toContain('--set');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('wf_unknown');
    expect(await hookSecret()).toBe(before);
  });
});
