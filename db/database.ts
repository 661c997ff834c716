import postgres from 'postgres';
import { connectionTarget, createSqlClient, type Sql } from './client.ts';
import type { DatabaseConfig } from './config.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from './embedded.ts';
import { migrateDatabase } from './migrate.ts';

export const EMBEDDED_DATABASE_NAME = 'vmesh';

export type Database = {
  sql: Sql;
  url: string;
  /** Which server this is, for /healthz and logs (no credentials). */
  kind: 'embedded' | 'external';
  close(): Promise<void>;
};

export async function ensureDatabaseExists(serverUrl: string, name: string): Promise<void> {
  const target = connectionTarget(serverUrl);
  const admin = postgres(target.url, { ...target.options, max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as present from pg_database where datname = ${name}`;
    if (!row) await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL; then applies migrations unless told not to. */
export async function openDatabase(
  config: DatabaseConfig,
  options: {
    migrate?: boolean;
    log?: (message: string) => void;
    /** The caller stops the database on SIGINT/SIGTERM (after its pools); see EmbeddedOptions.ownSignals. */
    ownSignals?: boolean;
  } = {},
): Promise<Database> {
  let embedded: EmbeddedServer | undefined;
  let url: string;
  if (config.databaseUrl) {
    url = config.databaseUrl;
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      ownSignals: options.ownSignals,
      unixSocket: true,
    });
    await ensureDatabaseExists(embedded.url, EMBEDDED_DATABASE_NAME);
    url = embedded.urlFor(EMBEDDED_DATABASE_NAME);
  }
  try {
    if (options.migrate !== false) await migrateDatabase(url, { log: options.log });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const sql = createSqlClient(url, { max: config.poolSize });
  return {
    sql,
    url,
    kind: embedded ? 'embedded' : 'external',
    async close() {
      await sql.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}

export async function checkDatabase(sql: Sql): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  try {
    await sql`select 1`;
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return {
      ok: false,
      latencyMs: performance.now() - started,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
