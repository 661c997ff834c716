import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ensureDatabaseExists, migrateDatabase, startEmbeddedPostgres } from '../../db/index.ts';
import { installWorkerSchema } from '../engine/worker-schema.ts';

export interface BenchDatabase {
  url: string;
  /** Stops the embedded server and removes its data dir; nothing for DATABASE_URL. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set, otherwise a throwaway embedded Postgres; migrated, with the worker schema installed. */
export async function openBenchDatabase(name: string, maxConnections: number): Promise<BenchDatabase> {
  let url = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!url) {
    const dataDir = resolve('.bench-data', `${name}-${process.pid}`);
    const server = await startEmbeddedPostgres({ dataDir, maxConnections, unixSocket: true });
    const database = `vmesh_${name.replaceAll('-', '_')}`;
    await ensureDatabaseExists(server.url, database);
    url = server.urlFor(database);
    stop = async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  await migrateDatabase(url);
  await installWorkerSchema(url);
  return { url, stop };
}

/** The main of a bench that measures one thing on a database and prints `{ [key]: result }` as JSON. */
export async function runBenchMain(
  name: string,
  key: string,
  maxConnections: number,
  measure: (url: string) => Promise<unknown>,
): Promise<never> {
  const json = process.argv.includes('--json');
  const database = await openBenchDatabase(name, maxConnections);
  const result = await measure(database.url);
  process.stdout.write(`${JSON.stringify({ [key]: result }, null, json ? 0 : 2)}\n`);
  await database.stop();
  process.exit(0);
}
