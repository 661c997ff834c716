import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { pipelinedTransaction, RecordFailedError } from './pipelined-transaction.ts';
import { storedParam } from './stored-json.ts';
import { flushWork, newWork, send } from './tx-work.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
});
afterAll(async () => {
  await db.drop();
});

describe('pipelinedTransaction', () => {
  it('commits everything it sent in one transaction', async () => {
    await db.sql`create table pipelined_probe (n int)`;
    const result = await pipelinedTransaction(db.sql, async (tx) => {
      const work = newWork();
      send(work, tx`insert into pipelined_probe values (1)`);
      send(work, tx`insert into pipelined_probe values (2)`);
      return { flushed: flushWork(tx, work), result: Promise.resolve('ok') };
    });
    expect(result).toBe('ok');
    expect((await db.sql`select count(*)::int as n from pipelined_probe`)[0]?.n).toBe(2);
  });

  it("a failing statement rolls everything back and rejects with that statement's error", async () => {
    await db.sql`create table pipelined_fail (n int primary key)`;
    const outcome = pipelinedTransaction(db.sql, async (tx) => {
      const work = newWork();
      // Parameters: a statement's first use is described before it runs, so the driver holds the later ones
      // back on this connection until then (they must still be sent before the connection is released).
      send(work, tx`insert into pipelined_fail values (${1})`);
      send(work, tx`insert into pipelined_fail (n) values (${1})`);
      send(work, tx`insert into pipelined_fail (n) select ${2}::int`);
      return { flushed: flushWork(tx, work), result: Promise.resolve('committed') };
    });
    await expect(outcome).rejects.toMatchObject({ code: '23505' });
    expect((await db.sql`select count(*)::int as n from pipelined_fail`)[0]?.n).toBe(0);
    // The connection went back to the pool in a usable state (not inside the aborted transaction).
    for (let i = 0; i < 8; i++) expect((await db.sql`select ${i}::int as n`)[0]?.n).toBe(i);
  });

  it('a value that cannot be serialised fails in record, after statements were sent: nothing commits', async () => {
    await db.sql`create table pipelined_client (n int, v jsonb)`;
    const outcome = pipelinedTransaction(db.sql, async (tx) => {
      const work = newWork();
      send(work, tx`insert into pipelined_client values (1, null)`);
      send(work, tx`insert into pipelined_client values (2, ${storedParam(tx, { n: 1n })}::jsonb)`);
      return { flushed: flushWork(tx, work), result: Promise.resolve('committed') };
    });
    await expect(outcome).rejects.toBeInstanceOf(RecordFailedError);
    expect((await db.sql`select count(*)::int as n from pipelined_client`)[0]?.n).toBe(0);
  });
});
