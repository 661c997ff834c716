import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinConnectors } from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { WorkflowDocument } from '../../runtime/index.ts';
import { createWorkflowService } from '../../runtime/store/workflow-service.ts';
import { triggerSync } from '../../runtime/triggers/trigger-kinds.ts';
import { cliEnv, runCli } from '../testing/cli-process.ts';

// Rename, the failures list and retry-all from a shell: each command is a real `vmesh` process on a real database.
let db: TestDatabase;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url });
});
afterAll(async () => {
  await db.drop();
});

const service = () =>
  createWorkflowService(db.sql, builtinConnectors, { onTriggerChange: triggerSync(builtinConnectors) });

const documentOf = (name: string, code: string): WorkflowDocument =>
  ({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: [
      { id: 'check', uses: 'core.code', retry: { maxAttempts: 1 }, with: { code, input: '{{ trigger.n }}' } },
    ],
    edges: [],
  }) as unknown as WorkflowDocument;

const json = <T = Record<string, unknown>>(stdout: string) => JSON.parse(stdout) as T;

async function failedRun(workflowId: string, n: number): Promise<string> {
  const ran = await runCli(
    [
      'run',
      '--workflow',
      workflowId,
      '--input',
      JSON.stringify({ n }),
      '--wait',
      '--json',
      '--timeout',
      '60000',
    ],
    { env },
  );
  expect(ran.code, ran.stderr).toBe(1);
  return String(json(ran.stdout).runId);
}

describe('vmesh workflows rename, runs list --status failed, runs retry-failed (real CLI processes)', () => {
  it('renames at once as a new version', async () => {
    const { id } = await service().create(documentOf('nightly', 'return input'), {});
    const renamed = await runCli(['workflows', 'rename', id, 'Nightly report', '--json'], { env });
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(json(renamed.stdout)).toEqual({
      id,
      name: 'Nightly report',
      previousName: 'nightly',
      version: 2,
      changed: true,
    });
    const said = await runCli(['workflows', 'rename', id, 'Nightly report'], { env });
    expect(said.stdout).toContain('already called "Nightly report"');
    const [row] = await db.sql`select name, current_version from workflows where id = ${id}`;
    expect(row).toMatchObject({ name: 'Nightly report', currentVersion: 2 });
    const [audit] =
      await db.sql`select via from audit_log where subject_id = ${id} and action = 'workflow.renamed'`;
    expect(audit?.via).toBe('cli');
    const missing = await runCli(['workflows', 'rename', 'wf_nope', 'x'], { env });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('wf_nope');
  }, 300_000);

  it('lists failures with their group and retries the whole group on the fixed version', async () => {
    const workflows = service();
    const { id } = await workflows.create(
      documentOf('limits', 'if (input > 5) throw new Error("too big: " + input); return input'),
      {},
    );
    const runs = [await failedRun(id, 6), await failedRun(id, 7)];

    const listed = await runCli(['runs', 'list', '--status', 'failed', '--workflow', id, '--json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const rows = json<Array<{ runId: string; failure: { step: string; message: string; group: string } }>>(
      listed.stdout,
    );
    expect(rows.map((row) => row.runId)).toEqual([...runs].reverse());
    expect(rows[0]?.failure).toMatchObject({ step: 'check', message: expect.stringContaining('too big') });
    const group = String(rows[0]?.failure.group);
    expect(rows[1]?.failure.group).toBe(group);
    const text = await runCli(['runs', 'list', '--status', 'failed'], { env });
    expect(text.stdout).toContain(`group ${group}`);

    const nothing = await runCli(['runs', 'retry-failed'], { env });
    expect(nothing.code).not.toBe(0);
    expect(nothing.stderr).toContain('--group');

    await workflows.addVersion(id, documentOf('limits', 'return input * 10'), {});
    const retried = await runCli(['runs', 'retry-failed', '--group', group, '--json'], { env });
    expect(retried.code, retried.stderr).toBe(0);
    expect(json(retried.stdout)).toEqual({
      group,
      workflowId: null,
      retried: [
        { runId: runs[1], workflowId: id, version: 2 },
        { runId: runs[0], workflowId: id, version: 2 },
      ],
      notRetried: [],
      more: false,
    });
    const statuses = await db.sql`select status, version from runs where id = any(${runs}::text[])`;
    expect(statuses).toEqual([
      { status: 'running', version: 2 },
      { status: 'running', version: 2 },
    ]);
    const none = await runCli(['runs', 'retry-failed', '--group', group], { env });
    expect(none.stdout).toContain('No failed runs matched.');
  }, 300_000);
});
