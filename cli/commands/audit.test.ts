import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, createUser, toPrincipal } from '../../access/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { cliEnv, runCli } from '../testing/cli-process.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  const alice = toPrincipal(
    await createUser(db.sql, { name: 'alice', role: 'builder' }),
    'web',
    'oidc:x|alice',
  );
  await audit(db.sql, {
    principal: alice,
    action: 'workflow.updated',
    subjectType: 'workflow',
    subjectId: 'wf_a',
    beforeHash: 'sha256:1',
    afterHash: 'sha256:2',
  });
  await audit(db.sql, { action: 'run.started', subjectType: 'run', subjectId: 'run_b' });
  await audit(db.sql, { principal: alice, action: 'run.cancelled', subjectType: 'run', subjectId: 'run_b' });
});

describe('vmesh audit output (a real process)', () => {
  it('shows control characters and bidi overrides in recorded names as escapes, never sends them to the terminal', async () => {
    const own = await createTestDatabase();
    try {
      await audit(own.sql, {
        actor: 'mallory\u001b[2J\u001b]0;owned\u0007\u202e',
        action: 'login.failed',
        subjectType: 'user',
        subjectId: 'x\u009b31m',
      });
      const listed = await runCli(['audit'], { env: cliEnv({ DATABASE_URL: own.url }) });
      expect(listed, listed.stderr).toMatchObject({ code: 0 });
      expect(listed.stdout).toContain('mallory\\u001b[2J\\u001b]0;owned\\u0007\\u202e');
      expect(listed.stdout).toContain('user:x\\u009b31m');
      for (const raw of ['\u001b', '\u0007', '\u009b', '\u202e'])
        expect(listed.stdout.includes(raw)).toBe(false);
    } finally {
      await own.drop();
    }
  });
});
afterAll(async () => {
  await db.drop();
});

const vmesh = (args: string[]) => runCli(['audit', ...args], { env: cliEnv({ DATABASE_URL: db.url }) });

describe('vmesh audit (a real process)', () => {
  it('lists newest first with filters, as text and JSON; refuses a bad --since or --limit', async () => {
    const [all, byAlice, bySubject, bad, badLimit] = await Promise.all([
      vmesh(['--since', '1h']),
      vmesh(['--actor', 'alice', '--json']),
      vmesh(['--subject', 'run:run_b', '--limit', '1', '--json']),
      vmesh(['--since', 'last tuesday-ish']),
      vmesh(['--limit', '0']),
    ]);
    expect(all, all.stderr).toMatchObject({ code: 0 });
    const lines = all.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/web\s+alice \[oidc:x\|alice\]\s+run\.cancelled\s+run:run_b/);
    expect(lines[2]).toContain('workflow.updated  workflow:wf_a  sha256:1 → sha256:2');
    expect(
      (JSON.parse(byAlice.stdout) as { entries: { action: string }[] }).entries.map((e) => e.action),
    ).toEqual(['run.cancelled', 'workflow.updated']);
    const page = JSON.parse(bySubject.stdout) as { entries: { action: string }[]; nextCursor: string };
    expect(page.entries.map((e) => e.action)).toEqual(['run.cancelled']);
    expect(page.nextCursor).toMatch(/^\d+$/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since');
    expect(badLimit.code).toBe(2);
  });
});
