import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** Applies the plain-SQL migrations in db/migrations (node-pg-migrate; one advisory lock, so concurrent starts are safe). */
export async function migrateDatabase(
  databaseUrl: string,
  options: { log?: (message: string) => void } = {},
) {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    log: options.log ?? (() => {}),
    logger: {
      debug: () => {},
      info: options.log ?? (() => {}),
      warn: options.log ?? (() => {}),
      error: console.error,
    },
    verbose: false,
  });
  return applied.map((migration) => migration.name);
}
