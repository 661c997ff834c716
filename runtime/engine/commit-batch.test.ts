import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionSql } from '../../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { commitStep } from './commit-batch.ts';
import { send, type TxWork } from './tx-work.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
  await db.sql`create table batch_probe (n int primary key)`;
});
afterAll(async () => {
  await db.drop();
});

/** A part like a step commit: its first statement is the fenced update ('fenced' raises as in recordExecution). */
function part(n: number, options: { fenced?: boolean } = {}) {
  return async (tx: TransactionSql, work: TxWork) => {
    const owned = Promise.resolve(
      tx`
        with updated as (select 1 where ${!options.fenced}::boolean)
        select case when count(*) = 0 then ('fenced:' || count(*)::text)::int else 1 end from updated`,
    ).then(
      () => true,
      (error: unknown) => {
        if (error instanceof Error && error.message.includes('"fenced:')) return false;
        throw error;
      },
    );
    send(work, owned);
    send(work, tx`insert into batch_probe values (${n})`);
    return { owned, result: Promise.resolve(n) };
  };
}

async function writers(ns: number[]): Promise<Map<number, string>> {
  const rows = await db.sql`select n, xmin::text as tx from batch_probe where n = any(${ns})`;
  return new Map(rows.map((row) => [Number(row.n), String(row.tx)]));
}

describe('commitStep', () => {
  it('commits that arrive while one is in flight share the next transaction; each gets its own result', async () => {
    const ns = Array.from({ length: 12 }, (_, i) => 100 + i);
    const results = await Promise.all(
      ns.map((n) => commitStep(db.sql, { runId: 'r', nodeId: String(n), path: '' }, part(n))),
    );
    expect(results).toEqual(ns);
    const written = await writers(ns);
    expect(written.size).toBe(12);
    // The first went out alone at once; the rest were batched behind it.
    expect(new Set(written.values()).size).toBeLessThanOrEqual(3);
  });

  it('a fenced part rolls its batch back; the others commit again alone and only it reports fenced', async () => {
    const ns = [200, 201, 202, 203, 204];
    const results = await Promise.all(
      ns.map((n) =>
        commitStep(db.sql, { runId: 'r', nodeId: String(n), path: '' }, part(n, { fenced: n === 202 })),
      ),
    );
    expect(results).toEqual([200, 201, 'fenced', 203, 204]);
    expect([...(await writers(ns)).keys()].sort()).toEqual([200, 201, 203, 204]);
  });

  it('a statement Postgres rejects fails only the part that sent it', async () => {
    await db.sql`insert into batch_probe values (302)`;
    const ns = [300, 301, 302, 303];
    const results = await Promise.allSettled(
      ns.map((n) => commitStep(db.sql, { runId: 'r', nodeId: String(n), path: '' }, part(n))),
    );
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
    expect([...(await writers(ns)).keys()].sort()).toEqual([300, 301, 302, 303]);
  });
});
