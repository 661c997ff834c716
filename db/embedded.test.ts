import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWorkerSchema } from '../runtime/engine/worker-schema.ts';
import { connectionTarget, createSqlClient } from './client.ts';
import { type Database, openDatabase } from './database.ts';

describe('embedded PostgreSQL as the product starts it', () => {
  let dataDir: string;
  let database: Database;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vmesh-embedded-'));
    database = await openDatabase({ databaseUrl: undefined, dataDir, poolSize: 2 });
  }, 120_000);

  afterAll(async () => {
    await database?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('listens on an owner-only Unix socket named in its URL, and every client we use connects through it', async () => {
    const socketDir = new URL(database.url).searchParams.get('host');
    expect(socketDir).toBe(join(dataDir, 'postgres'));
    const port = new URL(database.url).port;
    expect(existsSync(join(String(socketDir), `.s.PGSQL.${port}`))).toBe(true);

    // postgres.js (the app's pool): the migrations ran through node-postgres already.
    const [row] =
      await database.sql`select inet_server_addr() as addr, count(*)::int as migrations from pgmigrations`;
    expect(row?.addr).toBeNull(); // null: not a TCP connection
    expect(Number(row?.migrations)).toBeGreaterThan(5);

    // node-postgres, as graphile-worker uses it.
    await installWorkerSchema(database.url);
    const pool = new Pool({ connectionString: database.url, max: 1 });
    try {
      const result = await pool.query('select inet_server_addr() as addr, to_regproc($1) is not null as ok', [
        'graphile_worker.add_job',
      ]);
      expect(result.rows[0]).toEqual({ addr: null, ok: true });
    } finally {
      await pool.end();
    }
  });

  it('still accepts loopback TCP (psql, other tools) with the same credentials', async () => {
    const tcp = new URL(database.url);
    tcp.searchParams.delete('host');
    const sql = createSqlClient(tcp.toString(), { max: 1 });
    try {
      const [row] = await sql`select host(inet_server_addr()) as addr`;
      expect(row?.addr).toBe('127.0.0.1');
    } finally {
      await sql.end();
    }
  });
});

describe('connectionTarget', () => {
  it('moves a socket directory out of the URL for postgres.js and leaves other URLs alone', () => {
    expect(connectionTarget('postgres://u:p@127.0.0.1:5432/db?host=%2Frun%2Fpg&sslmode=disable')).toEqual({
      url: 'postgres://u:p@127.0.0.1:5432/db?sslmode=disable',
      options: { host: '/run/pg' },
    });
    const plain = 'postgres://u:p@db.example.com:5432/app?sslmode=require';
    expect(connectionTarget(plain)).toEqual({ url: plain, options: {} });
  });
});
