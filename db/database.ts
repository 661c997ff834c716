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
    if (!row)
      await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`).catch((error: unknown) => {
        // Another process created it at the same moment: duplicate_database, or the catalog's unique index.
        const code = (error as { code?: unknown }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      });
  } finally {
    await admin.end();
  }
}

/**
 * node-pg-migrate fails at once when another process holds its advisory lock (two processes starting on the same
 * database): wait for that process to finish and try again.
 */
async function migrateWhenFree(url: string, log: ((message: string) => void) | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateDatabase(url, { log });
      return;
    } catch (error) {
      const busy = error instanceof Error && error.message.includes('Another migration is already running');
      if (!busy || attempt >= 240) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL; then applies migrations unless told not to. */
export async function openDatabase(
  config: DatabaseConfig,
  options: {
    migrate?: boolean;
    log?: (message: string) => void;
  } = {},
): Promise<Database> {
  let embedded: EmbeddedServer | undefined;
  let url: string;
  if (config.databaseUrl) {
    url = config.databaseUrl;
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      unixSocket: true,
      onLog: options.log,
    });
    await ensureDatabaseExists(embedded.url, EMBEDDED_DATABASE_NAME);
    url = embedded.urlFor(EMBEDDED_DATABASE_NAME);
  }
  try {
    if (options.migrate !== false) await migrateWhenFree(url, options.log);
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
