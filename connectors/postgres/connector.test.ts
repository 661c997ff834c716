import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { postgresConnector } from './connector.ts';

let db: TestDatabase;
let credential: { url: string };
const env = createTestEnvironment();

type QueryOutput = { rows: Record<string, unknown>[]; rowCount: number; command: string; truncated: boolean };

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 2 });
  credential = { url: db.url };
  await db.sql.unsafe(`
    create table invoices (id int primary key, email text not null, amount bigint not null,
      due_at timestamptz not null, meta jsonb not null default '{}');
    insert into invoices select g, 'c' || g || '@example.com', g * 100, '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 day',
      jsonb_build_object('n', g) from generate_series(1, 50) g;
    create function flaky() returns int language plpgsql as $$
      begin raise exception 'could not serialize access' using errcode = '40001'; end $$;
  `);
});
afterAll(async () => {
  await db.drop();
});

const query = async (input: unknown, cred: unknown = credential) =>
  (await runAction(postgresConnector, 'query', input, { env, credential: cred })) as QueryOutput;
const queryError = async (input: unknown, cred: unknown = credential) =>
  (await runActionError(postgresConnector, 'query', input, { env, credential: cred })) as ConnectorError;

describe('postgres.query', () => {
  it('runs a parameterised read and returns JSON-safe rows', async () => {
    const out = await query({
      sql: 'select id, email, amount, due_at, meta from invoices where id = any($1::int[]) and email like $2 order by id',
      params: [[1, 2, 3], '%@example.com'],
    });
    expect(out.command).toBe('SELECT');
    expect(out.rowCount).toBe(3);
    expect(out.truncated).toBe(false);
    expect(out.rows[0]).toEqual({
      id: 1,
      email: 'c1@example.com',
      amount: '100',
      due_at: '2026-01-02T00:00:00.000Z',
      meta: { n: 1 },
    });
  });

  it('a value containing SQL stays a value', async () => {
    const out = await query({
      sql: 'select count(*)::int as n from invoices where email = $1',
      params: ["x' or '1'='1"],
    });
    expect(out.rows).toEqual([{ n: 0 }]);
  });

  it('is read-only unless write is true', async () => {
    const refused = await queryError({ sql: 'delete from invoices where id = $1', params: [1] });
    expect(refused.code).toBe('E_READ_ONLY');
    expect(refused.retryable).toBe(false);
    expect(refused.hint).toContain('write: true');
    const [still] = await db.sql`select count(*)::int as n from invoices where id = 1`;
    expect(still?.n).toBe(1);

    const updated = await query({
      sql: 'update invoices set email = $1 where id = $2',
      params: ['new@example.com', 1],
      write: true,
    });
    expect(updated).toEqual({ rows: [], rowCount: 1, command: 'UPDATE', truncated: false });
    const returning = await query({
      sql: 'insert into invoices (id, email, amount, due_at) values ($1, $2, $3, now()) returning id',
      params: [100, 'x@example.com', 5],
      write: true,
    });
    expect(returning.rows).toEqual([{ id: 100 }]);
  });

  it('caps the rows', async () => {
    const out = await query({
      sql: 'select id from invoices where id <= $1 order by id',
      params: [50],
      maxRows: 7,
    });
    expect(out.rows).toHaveLength(7);
    expect(out.truncated).toBe(true);
  });

  it('refuses placeholder/param mismatches and statement batches', async () => {
    const missing = await queryError({
      sql: 'select * from invoices where id = $1 and email = $2',
      params: [1],
    });
    expect(missing.code).toBe('E_PARAMS');
    expect(missing.message).toContain('$2');
    const batch = await queryError({ sql: 'select 1; drop table invoices', params: [] });
    expect(batch.code).toBe('E_PARAMS');
    expect(batch.message).toContain('more than one statement');
    const [table] = await db.sql`select to_regclass('invoices')::text as t`;
    expect(table?.t).toBe('invoices');
  });

  it('explains SQL errors without retrying them', async () => {
    const error = await queryError({ sql: 'select nope from invoices where id = $1', params: [1] });
    expect(error.code).toBe('E_REQUEST');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('column "nope" does not exist');
  });

  it('applies statement_timeout as a retryable timeout', async () => {
    const error = await queryError({ sql: 'select pg_sleep($1)', params: [5], timeoutMs: 100 });
    expect(error.code).toBe('E_TIMEOUT');
    expect(error.retryable).toBe(true);
  });

  it('transient failures are retryable: serialization failure and an unreachable server', async () => {
    const conflict = await queryError({ sql: 'select flaky()', params: [] });
    expect(conflict.code).toBe('E_CONFLICT');
    expect(conflict.retryable).toBe(true);
    const url = new URL(db.url);
    url.port = '1';
    const down = await queryError({ sql: 'select 1', params: [] }, { url: url.toString() });
    expect(down.retryable).toBe(true);
  });

  it('a wrong password is an auth error', async () => {
    const url = new URL(db.url);
    url.username = 'nobody_here';
    url.password = 'wrong';
    const error = await queryError({ sql: 'select 1', params: [] }, { url: url.toString() });
    expect(error.code).toBe('E_AUTH');
    expect(error.retryable).toBe(false);
  });

  it('doc.md has one section per action', async () => {
    const doc = await readFile(postgresConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(postgresConnector.actions.map((action) => action.key));
  });
});
