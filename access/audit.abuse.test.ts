import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, collect, REPO_ROOT, runCli } from '../cli/testing/cli-process.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { audit, entryHash } from './audit.ts';

/**
 * Tampering with the audit log shows: `vmesh audit verify` (a real process) exits non-zero naming the first
 * broken entry. Each scenario gets its own database, since it breaks the chain for good.
 */
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
});

async function freshLog(entries = 5): Promise<{ db: TestDatabase; ids: string[] }> {
  const db = await createTestDatabase();
  databases.push(db);
  const ids: string[] = [];
  for (let i = 0; i < entries; i++)
    ids.push(
      (
        await audit(db.sql, {
          actor: 'alice',
          action: 'workflow.updated',
          subjectType: 'workflow',
          subjectId: `wf_${i}`,
          beforeHash: `sha256:${i}`,
          afterHash: `sha256:${i + 1}`,
          details: { version: i + 2 },
        })
      ).id,
    );
  return { db, ids };
}

const verify = (db: TestDatabase) =>
  runCli(['audit', 'verify'], { env: cliEnv({ DATABASE_URL: db.url }), timeoutMs: 60_000 });

/** As the database superuser, with the append-only triggers switched off for this transaction. */
async function asSuperuser(db: TestDatabase, work: (tx: TestDatabase['sql']) => Promise<unknown>) {
  await db.sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await work(tx as unknown as TestDatabase['sql']);
  });
}

describe('audit log tampering (vmesh audit verify as a process)', () => {
  it('an intact log verifies; a changed entry is named', async () => {
    const { db, ids } = await freshLog();
    const intact = await verify(db);
    expect(intact, intact.stderr).toMatchObject({ code: 0 });
    expect(intact.stdout).toContain('Audit log intact: 5 entries');

    await asSuperuser(db, (tx) => tx`update audit_log set actor = 'mallory' where id = ${ids[2]!}`);
    const broken = await verify(db);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`broken at entry ${ids[2]}`);
    expect(broken.stderr).toContain('do not match its hash');
  });

  it('the database refuses changes and deletions without the superuser switching the triggers off', async () => {
    const { db, ids } = await freshLog(2);
    await expect(db.sql`update audit_log set details = '{}' where id = ${ids[0]!}`).rejects.toThrow(
      /append-only/,
    );
    await expect(db.sql`delete from audit_log where id = ${ids[1]!}`).rejects.toThrow(/append-only/);
    await expect(db.sql`select audit_prune(now() - interval '1 day')`).resolves.toBeDefined();
    expect((await verify(db)).code).toBe(0);
  });

  it('a removed entry in the middle, a removed last entry and an entry inserted outside the chain are named', async () => {
    const middle = await freshLog();
    await asSuperuser(middle.db, (tx) => tx`delete from audit_log where id = ${middle.ids[1]!}`);
    const gap = await verify(middle.db);
    expect(gap.code).toBe(1);
    expect(gap.stderr).toContain(`broken at entry ${middle.ids[2]}`);
    expect(gap.stderr).toContain('prev_hash');

    const tail = await freshLog();
    await asSuperuser(tail.db, (tx) => tx`delete from audit_log where id = ${tail.ids[4]!}`);
    const cut = await verify(tail.db);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(`broken at entry ${tail.ids[4]}`);

    // A forged entry with a correct-looking hash, written straight into the table (no superuser needed).
    const forged = await freshLog(3);
    const [head] = await forged.db.sql`select head_hash from audit_chain`;
    const entry = {
      id: '1000',
      at: '2026-01-01T00:00:00.000000Z',
      workspaceId: 'default',
      actor: 'mallory',
      actorId: null,
      identity: null,
      via: 'api',
      action: 'workflow.deleted',
      subjectType: 'workflow',
      subjectId: 'wf_0',
      beforeHash: null,
      afterHash: null,
      details: {},
    };
    const hash = entryHash(String(head?.headHash), entry);
    await forged.db.sql`
      insert into audit_log (id, at, actor, via, action, subject_type, subject_id, prev_hash, hash)
      values (1000, ${entry.at}::text::timestamptz, 'mallory', 'api', 'workflow.deleted', 'workflow', 'wf_0',
        ${String(head?.headHash)}, ${hash})`;
    const inserted = await verify(forged.db);
    expect(inserted.code).toBe(1);
    expect(inserted.stderr).toContain('broken at entry 1000');
  });

  it('pruning keeps the log verifiable (the last pruned hash is the anchor), and tampering after it still shows', async () => {
    const { db, ids } = await freshLog(6);
    await db.sql`select audit_prune(now() + interval '1 second')`;
    expect((await db.sql`select count(*)::int as n from audit_log`)[0]?.n).toBe(0);
    await audit(db.sql, { action: 'run.started', subjectType: 'run', subjectId: 'run_after' });
    const pruned = await verify(db);
    expect(pruned, pruned.stderr).toMatchObject({ code: 0 });
    expect(pruned.stdout).toContain(`after the pruning anchor (entry ${ids[5]})`);
    await asSuperuser(db, (tx) => tx`update audit_log set subject_id = 'run_other'`);
    expect((await verify(db)).code).toBe(1);
  });

  it('two processes appending at once keep one valid chain', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const script = fileURLToPath(new URL('./testing/append-audit.ts', import.meta.url));
    const bin = fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url));
    const append = (tag: string) =>
      collect(
        spawn(process.execPath, [bin, script, db.url, '60', tag], {
          cwd: REPO_ROOT,
          env: cliEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
        60_000,
      );
    const results = await Promise.all([append('p1'), append('p2')]);
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });
    const rows = await db.sql`select actor, count(*)::int as n from audit_log group by actor order by actor`;
    expect(rows.map((row) => `${row.actor}:${row.n}`)).toEqual(['p1:60', 'p2:60']);
    const forks = await db.sql`select prev_hash from audit_log group by prev_hash having count(*) > 1`;
    expect(forks).toHaveLength(0);
    const result = await verify(db);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('120 entries');
  });
});
