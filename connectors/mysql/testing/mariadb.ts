import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

// The real MySQL/MariaDB server the tests use (.ci/run installs and starts MariaDB and creates the login
// `vmesh_test` with rights on the `vmesh\_test\_%` databases). Settings come from VMESH_TEST_MYSQL_* variables.

export type TestMysqlSettings = { host: string; port: number; user: string; password: string };

export function testMysqlSettings(): TestMysqlSettings {
  return {
    host: process.env.VMESH_TEST_MYSQL_HOST ?? '127.0.0.1',
    port: Number(process.env.VMESH_TEST_MYSQL_PORT ?? 3306),
    user: process.env.VMESH_TEST_MYSQL_USER ?? 'vmesh_test',
    password: process.env.VMESH_TEST_MYSQL_PASSWORD ?? 'vmesh_test',
  };
}

export type TestMysqlDatabase = {
  name: string;
  /** A `mysql` credential for this database (plain TCP: the local server has no TLS). */
  credential: { host: string; port: number; user: string; password: string; database: string; ssl: false };
  /** A connection of the test's own to set up and check data. */
  admin: mysql.Connection;
  drop(): Promise<void>;
};

/**
 * Why the MySQL tests are skipped here, or undefined when they run. Never skipped on CI (CI set): there a missing
 * server fails them.
 */
export async function mysqlSkipReason(): Promise<string | undefined> {
  if (process.env.CI) return undefined;
  const settings = testMysqlSettings();
  try {
    const connection = await mysql.createConnection({ ...settings, connectTimeout: 3_000 });
    await connection.end();
    return undefined;
  } catch (error) {
    return `no MySQL/MariaDB login ${settings.user}@${settings.host}:${settings.port} (${(error as Error).message}); run .ci/run as root or set VMESH_TEST_MYSQL_*; the MySQL tests are skipped outside CI`;
  }
}

/** Creates a database of its own for one test file (`vmesh_test_<random>`). */
export async function createTestMysqlDatabase(): Promise<TestMysqlDatabase> {
  const settings = testMysqlSettings();
  const name = `vmesh_test_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({ ...settings, multipleStatements: true });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await admin.changeUser({ database: name });
  return {
    name,
    credential: { ...settings, database: name, ssl: false },
    admin,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}
