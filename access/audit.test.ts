import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { registerSecret } from '../lib/index.ts';
import { audit, canonicalJson, entryHash, listAudit, pruneAudit, verifyAuditChain } from './audit.ts';
import { createUser, toPrincipal } from './user-store.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('audit log', () => {
  it('seals entries written before the chain, then appends with who, from where and the hashes', async () => {
    // The NOT VALID check refuses new unchained rows: unchained rows can only predate migration 5200.
    await expect(
      db.sql`insert into audit_log (actor, action, subject_type, subject_id) values ('x', 'a.b', 'proposal', 'p')`,
    ).rejects.toThrow(/audit_log_chained/);
    // Rows as migration 5200 found them (written by the old audit()): no hash until the first append seals them.
    await db.sql`alter table audit_log drop constraint audit_log_chained`;
    await db.sql`insert into audit_log (actor, action, subject_type, subject_id, details)
      values ('legacy', 'proposal.created', 'proposal', 'prop_old', '{"kind":"create"}')`;
    await db.sql`alter table audit_log add constraint audit_log_chained
      check (hash is not null and prev_hash is not null) not valid`;
    expect(await verifyAuditChain(db.sql)).toMatchObject({ ok: true, entries: 0, unsealed: 1 });

    const alice = toPrincipal(
      await createUser(db.sql, { name: 'alice', role: 'builder' }),
      'slack',
      'slack:T1:U1',
    );
    registerSecret('canary-secret-value-123');
    await audit(db.sql, {
      principal: alice,
      action: 'workflow.updated',
      subjectType: 'workflow',
      subjectId: 'wf_1',
      beforeHash: 'sha256:a',
      afterHash: 'sha256:b',
      details: { note: 'uses canary-secret-value-123', password: 'hunter22', weird: 'a\u0000b\ud800' },
    });
    await audit(db.sql, { actor: 'system', action: 'run.cancelled', subjectType: 'run', subjectId: 'run_1' });
    const { entries } = await listAudit(db.sql, { actor: 'alice' });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: 'alice',
      actorId: alice.userId,
      identity: 'slack:T1:U1',
      via: 'slack',
      beforeHash: 'sha256:a',
      afterHash: 'sha256:b',
    });
    expect(JSON.stringify(entries[0]?.details)).not.toContain('canary-secret-value-123');
    expect(JSON.stringify(entries[0]?.details)).not.toContain('hunter22');
    expect(await verifyAuditChain(db.sql)).toMatchObject({ ok: true, entries: 3, unsealed: 0 });
  });

  it('stores hostile labels (NUL, lone surrogates, secrets, megabytes) so that they still verify', async () => {
    await audit(db.sql, {
      actor: `x\u0000y\ud800 canary-secret-value-123 ${'a'.repeat(5_000)}`,
      action: 'login.failed',
      subjectType: 'user',
      subjectId: 'z\udfff\u0000',
    });
    const [entry] = (await listAudit(db.sql, { action: 'login.failed' })).entries;
    expect(entry?.actor.startsWith('xy\ufffd [REDACTED] aaa')).toBe(true);
    expect(entry?.actor.length).toBeLessThanOrEqual(201);
    expect(entry?.subjectId).toBe('z\ufffd');
    expect(await verifyAuditChain(db.sql)).toMatchObject({ ok: true });
  });

  it('the hash covers every key of the details, `__proto__` included', () => {
    const entry = (details: unknown) => ({
      id: '1',
      at: 'now',
      workspaceId: 'default',
      actor: 'a',
      actorId: null,
      identity: null,
      via: 'api',
      action: 'a.b',
      subjectType: 't',
      subjectId: 'i',
      beforeHash: null,
      afterHash: null,
      details,
    });
    const a = JSON.parse('{"__proto__":{"x":1}}') as unknown;
    const b = JSON.parse('{"__proto__":{"x":2}}') as unknown;
    expect(entryHash('genesis', entry(a))).not.toBe(entryHash('genesis', entry(b)));
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });

  it('refuses updates, deletes and truncation', async () => {
    await expect(db.sql`update audit_log set actor = 'mallory'`).rejects.toThrow(/append-only/);
    await expect(db.sql`delete from audit_log`).rejects.toThrow(/append-only/);
    await expect(db.sql`truncate audit_log`).rejects.toThrow(/append-only/);
    await expect(db.sql`update audit_chain set head_id = 0`).rejects.toThrow(/forward/);
  });

  it('pages newest first with a cursor and filters by subject', async () => {
    for (let i = 0; i < 5; i++)
      await audit(db.sql, {
        actor: 'system',
        action: 'run.started',
        subjectType: 'run',
        subjectId: `run_p${i}`,
      });
    const first = await listAudit(db.sql, { action: 'run.started', limit: 2 });
    expect(first.entries.map((e) => e.subjectId)).toEqual(['run_p4', 'run_p3']);
    const second = await listAudit(db.sql, {
      action: 'run.started',
      limit: 2,
      before: first.nextCursor ?? '',
    });
    expect(second.entries.map((e) => e.subjectId)).toEqual(['run_p2', 'run_p1']);
    expect((await listAudit(db.sql, { subjectType: 'run', subjectId: 'run_p0' })).entries).toHaveLength(1);
  });

  it('pruning keeps the chain verifiable and records itself', async () => {
    const removed = await pruneAudit(db.sql, 1, new Date(Date.now() + 2 * 86_400_000));
    expect(removed).toBeGreaterThan(0);
    const left = await db.sql`select action from audit_log order by id`;
    expect(left.map((row) => row.action)).toEqual(['audit.pruned']);
    expect(await verifyAuditChain(db.sql)).toMatchObject({ ok: true, entries: 1 });
    await audit(db.sql, {
      actor: 'system',
      action: 'run.started',
      subjectType: 'run',
      subjectId: 'run_after',
    });
    expect(await verifyAuditChain(db.sql)).toMatchObject({ ok: true, entries: 2 });
    expect(await pruneAudit(db.sql, 0)).toBe(0);
  });
});
