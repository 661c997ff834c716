import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { mysqlConnector } from './connector.ts';
import { createTestMysqlDatabase, mysqlSkipReason, type TestMysqlDatabase } from './testing/mariadb.ts';

// mysql.* against the real MariaDB/MySQL server of the machine, in a database of this file's own.

const skip = await mysqlSkipReason();
if (skip) console.warn(`SKIPPED mysql connector tests: ${skip}`);

let db: TestMysqlDatabase;
const env = createTestEnvironment();

beforeAll(async () => {
  if (skip) return;
  db = await createTestMysqlDatabase();
  await db.admin.query(`
    create table invoices (id int primary key auto_increment, email varchar(200) not null, amount bigint not null,
      total decimal(10,2) not null default 0, due_at datetime not null, meta json null, unique key (email));
    insert into invoices (email, amount, total, due_at, meta)
      select concat('c', seq, '@example.com'), seq * 100, seq + 0.5, '2026-01-01 00:00:00' + interval seq day,
        json_object('n', seq) from seq_1_to_50;
  `);
});
afterAll(async () => {
  await db?.drop();
});

type QueryOutput = {
  rows: Record<string, unknown>[];
  rowCount: number;
  affectedRows: number;
  insertId: string | null;
  command: string;
  truncated: boolean;
};

const run = async (key: string, input: unknown, credential: unknown = db.credential) =>
  runAction(mysqlConnector, key, input, { env, credential });
const runError = async (key: string, input: unknown, credential: unknown = db.credential) =>
  (await runActionError(mysqlConnector, key, input, { env, credential })) as ConnectorError;
const query = async (input: unknown) => (await run('query', input)) as QueryOutput;

describe.skipIf(Boolean(skip))('mysql on a real server', () => {
  it('runs a parameterised read and returns JSON-safe rows', async () => {
    const out = await query({
      sql: 'select id, email, amount, total, due_at from invoices where id in (?, ?, ?) and email like ? order by id',
      params: [1, 2, 3, '%@example.com'],
    });
    expect(out.command).toBe('SELECT');
    expect(out.rowCount).toBe(3);
    expect(out.truncated).toBe(false);
    expect(out.rows[0]).toEqual({
      id: 1,
      email: 'c1@example.com',
      amount: '100',
      total: '1.50',
      due_at: '2026-01-02 00:00:00',
    });
  });

  it('a value containing SQL stays a value', async () => {
    const out = await query({
      sql: 'select count(*) as n from invoices where email = ?',
      params: ["x' or '1'='1"],
    });
    expect(out.rows).toEqual([{ n: '0' }]);
  });

  it('is read-only unless write is true, DDL included', async () => {
    const refused = await runError('query', { sql: 'delete from invoices where id = ?', params: [1] });
    expect(refused.code).toBe('E_READ_ONLY');
    expect(refused.retryable).toBe(false);
    expect(refused.hint).toContain('write: true');
    const ddl = await runError('query', { sql: 'create table sneaky (id int)', params: [] });
    expect(ddl.code).toBe('E_READ_ONLY');
    const [tables] = await db.admin.query("show tables like 'sneaky'");
    expect(tables).toEqual([]);

    const updated = await query({
      sql: 'update invoices set email = ? where id = ?',
      params: ['new@example.com', 1],
      write: true,
    });
    expect(updated).toMatchObject({ rows: [], rowCount: 1, affectedRows: 1, command: 'UPDATE' });
  });

  it('caps the rows', async () => {
    const out = await query({
      sql: 'select id from invoices where id <= ? order by id',
      params: [50],
      maxRows: 7,
    });
    expect(out.rows).toHaveLength(7);
    expect(out.truncated).toBe(true);
  });

  it('refuses placeholder/param mismatches and statement batches', async () => {
    const missing = await runError('query', {
      sql: 'select * from invoices where id = ? and email = ?',
      params: [1],
    });
    expect(missing.code).toBe('E_PARAMS');
    const batch = await runError('query', { sql: 'select 1; drop table invoices', params: [], write: true });
    expect(batch.code).toBe('E_REQUEST');
    const [tables] = await db.admin.query("show tables like 'invoices'");
    expect(tables).toHaveLength(1);
  });

  it('applies the statement timeout as a retryable timeout', async () => {
    const error = await runError('query', { sql: 'select sleep(?)', params: [5], timeoutMs: 200 });
    expect(error.code).toBe('E_TIMEOUT');
    expect(error.retryable).toBe(true);
  });

  it('insertRows inserts all rows in one statement with bound values', async () => {
    const out = await run('insertRows', {
      table: 'invoices',
      rows: [
        { email: "o'brien@example.com", amount: 7, due_at: '2026-03-01 10:00:00', meta: { vip: true } },
        {
          email: 'robert"); drop table invoices;--@example.com',
          amount: 8,
          due_at: '2026-03-02 10:00:00',
          meta: null,
        },
      ],
    });
    expect(out).toEqual({ affectedRows: 2, insertId: expect.stringMatching(/^\d+$/) });
    const { insertId } = out as { insertId: string };
    const [rows] = await db.admin.query('select email, meta from invoices where id >= ? order by id', [
      insertId,
    ]);
    expect(rows).toEqual([
      { email: "o'brien@example.com", meta: { vip: true } },
      { email: 'robert"); drop table invoices;--@example.com', meta: null },
    ]);
    const duplicate = await runError('insertRows', {
      table: 'invoices',
      rows: [{ email: "o'brien@example.com", amount: 1, due_at: '2026-03-01 10:00:00' }],
    });
    expect(duplicate.code).toBe('E_REQUEST');
    expect(duplicate.message).toContain('Duplicate entry');
    const ignored = await run('insertRows', {
      table: 'invoices',
      rows: [{ email: "o'brien@example.com", amount: 1, due_at: '2026-03-01 10:00:00' }],
      ignoreDuplicates: true,
    });
    expect(ignored).toEqual({ affectedRows: 0, insertId: null });
    const mixed = await runError('insertRows', {
      table: 'invoices',
      rows: [{ email: 'a@x' }, { amount: 1 }],
    });
    expect(mixed.code).toBe('E_PARAMS');
    const badTable = await runError('insertRows', { table: 'invoices`; drop', rows: [{ email: 'a' }] });
    expect(badTable.code).toBe('E_PARAMS');
  });

  it('updateRows sets columns where every condition matches, null as IS NULL', async () => {
    const out = await run('updateRows', {
      table: 'invoices',
      set: { amount: 999 },
      where: { email: 'c2@example.com', meta: { n: 2 } },
    });
    expect(out).toEqual({ affectedRows: 0 });
    const byId = await run('updateRows', {
      table: 'invoices',
      set: { amount: 999, total: 9.99 },
      where: { id: 2 },
    });
    expect(byId).toEqual({ affectedRows: 1 });
    const nulls = await run('updateRows', {
      table: 'invoices',
      set: { amount: 5 },
      where: { meta: null },
      limit: 1,
    });
    expect(nulls).toEqual({ affectedRows: 1 });
    const [rows] = await db.admin.query('select amount, total from invoices where id = 2');
    expect(rows).toEqual([{ amount: 999, total: '9.99' }]);
    const everything = await runError('updateRows', { table: 'invoices', set: { amount: 0 }, where: {} });
    expect(everything.code).toBe('E_PARAMS');
  });

  it('a wrong password is an auth error, an unreachable server is retryable', async () => {
    const wrong = await runError('query', { sql: 'select 1' }, { ...db.credential, password: 'wrong' });
    expect(wrong.code).toBe('E_AUTH');
    expect(wrong.retryable).toBe(false);
    expect(wrong.message).not.toContain('wrong');
    const down = await runError('query', { sql: 'select 1' }, { ...db.credential, port: 1 });
    expect(down.retryable).toBe(true);
    // The local server offers no TLS: a credential that asks for it is refused, with what to change.
    const tls = await runError('query', { sql: 'select 1' }, { ...db.credential, ssl: true });
    expect(tls.code).toBe('E_TLS');
    expect(tls.hint).toContain('ssl: false');
  });

  it('testCredential says who the server logged in', async () => {
    const client = mysqlConnector.createClient({ credential: { ...db.credential, ssl: false }, env });
    const said = await mysqlConnector.testCredential?.({
      credential: { ...db.credential, ssl: false },
      client,
      signal: new AbortController().signal,
    });
    expect(said).toContain('vmesh_test@');
  });
});

describe('mysql without a server', () => {
  it('refuses a private or loopback host outside the allow-list', async () => {
    const strict = { ...env, openSocket: undefined };
    const error = (await runActionError(
      mysqlConnector,
      'query',
      { sql: 'select 1' },
      {
        env: strict,
        credential: { host: '127.0.0.1', user: 'x', password: 'y', ssl: false },
      },
    )) as ConnectorError;
    expect(error.code).toBe('E_BLOCKED_DESTINATION');
  });

  it('doc.md has one section per action', async () => {
    const doc = await readFile(mysqlConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(mysqlConnector.actions.map((action) => action.key));
  });
});
