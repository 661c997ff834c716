import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createSqlClient, type Sql } from '../client.ts';

export type TestDatabase = {
  sql: Sql;
  /** URL of this test file's own database. */
  url: string;
  /** URL of the server's maintenance database (for tests that create more databases). */
  serverUrl: string;
  name: string;
  drop(): Promise<void>;
};

const TEMPLATE_DATABASE = 'vmesh_template';

export function databaseUrl(serverUrl: string, database: string): string {
  const parsed = new URL(serverUrl);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh database for one test file, cloned from the migrated template: tests never share state. */
export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  const serverUrl = inject('testServerUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(serverUrl, name);
  const sql = createSqlClient(url, { max: options.poolSize ?? 5 });
  return {
    sql,
    url,
    serverUrl,
    name,
    async drop() {
      await sql.end({ timeout: 5 });
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}
