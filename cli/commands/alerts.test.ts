import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createWorkflowService } from '../../runtime/index.ts';
import { cliEnv, runCli } from '../testing/cli-process.ts';

let db: TestDatabase;
let workflowId = '';
const env = () => cliEnv({ DATABASE_URL: db.url });

beforeAll(async () => {
  db = await createTestDatabase();
  const workflows = createWorkflowService(db.sql, [], { onTriggerChange: async () => {} });
  const created = await workflows.create({
    schemaVersion: 1,
    name: 'Invoices',
    trigger: { type: 'manual' },
    nodes: [{ id: 'a', uses: 'core.code', with: { code: 'return {};' } }],
    edges: [],
  });
  workflowId = created.id;
});
afterAll(async () => {
  await db?.drop();
});

describe('vmesh alerts (a real process)', () => {
  it('adds, lists and removes rules, with --json', async () => {
    const added = await runCli(
      [
        'alerts',
        'add',
        '--name',
        'Invoices failing',
        '--kind',
        'failure_rate',
        '--workflow',
        workflowId,
        '--threshold',
        '0.25',
        '--min-runs',
        '2',
        '--to',
        'webhook:https://hooks.example.com/a',
        '--json',
      ],
      { env: env() },
    );
    expect(added, added.stderr).toMatchObject({ code: 0 });
    const { rule, secret } = JSON.parse(added.stdout) as { rule: { id: string }; secret: string };
    expect(secret).toMatch(/^whs_/);
    expect(rule).toMatchObject({
      workflowId,
      condition: { kind: 'failure_rate', threshold: 0.25, minRuns: 2, windowMinutes: 60 },
      destination: { type: 'webhook', url: 'https://hooks.example.com/a' },
      cooldownMinutes: 60,
    });

    const plain = await runCli(
      [
        'alerts',
        'add',
        '--name',
        'Stopped',
        '--kind',
        'no_success',
        '--hours',
        '6',
        '--workflow',
        workflowId,
        '--to',
        'conversation',
      ],
      { env: env() },
    );
    expect(plain, plain.stderr).toMatchObject({ code: 0 });
    expect(plain.stdout).toMatch(/Added alert rule alr_\S+ \(no_success → conversation\)/);
    expect(plain.stdout).not.toContain('Signing secret');

    const listed = await runCli(['alerts', 'list', '--json'], { env: env() });
    expect(listed, listed.stderr).toMatchObject({ code: 0 });
    const rules = JSON.parse(listed.stdout) as { id: string; name: string }[];
    expect(rules.map((entry) => entry.name)).toEqual(['Invoices failing', 'Stopped']);
    expect(listed.stdout).not.toContain(secret);
    const table = await runCli(['alerts', 'list'], { env: env() });
    expect(table.stdout).toContain('failure_rate');
    expect(table.stdout).toContain('webhook:https://hooks.example.com/a');

    const removed = await runCli(['alerts', 'remove', rule.id, '--json'], { env: env() });
    expect(removed, removed.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(removed.stdout)).toEqual({ id: rule.id, deleted: true });
    const after = JSON.parse(
      (await runCli(['alerts', 'list', '--json'], { env: env() })).stdout,
    ) as unknown[];
    expect(after).toHaveLength(1);
  }, 180_000);

  it('refuses invalid rules and unknown ids with exit 1 and a reason', async () => {
    const bad = await runCli(
      [
        'alerts',
        'add',
        '--name',
        'x',
        '--kind',
        'failure_rate',
        '--threshold',
        '3',
        '--to',
        'webhook:ftp://example.com',
      ],
      { env: env() },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('condition.threshold');
    expect(bad.stderr).toContain('destination.url');
    const unknownKind = await runCli(
      ['alerts', 'add', '--name', 'x', '--kind', 'sometimes', '--to', 'conversation'],
      { env: env() },
    );
    expect(unknownKind.code).toBe(1);
    expect(unknownKind.stderr).toContain('condition.kind');
    const noWorkflow = await runCli(
      [
        'alerts',
        'add',
        '--name',
        'x',
        '--kind',
        'poll_stalled',
        '--workflow',
        'wf_none',
        '--to',
        'conversation',
      ],
      { env: env() },
    );
    expect(noWorkflow.code).toBe(1);
    expect(noWorkflow.stderr).toContain('wf_none');
    const gone = await runCli(['alerts', 'remove', 'alr_nope'], { env: env() });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('There is no alert rule alr_nope');
  }, 180_000);
});
