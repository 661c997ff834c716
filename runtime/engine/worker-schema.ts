import { runMigrations } from 'graphile-worker';

/** Installs or upgrades graphile-worker's own schema (`graphile_worker.*`, including the `add_job` SQL function). */
export async function installWorkerSchema(connectionString: string): Promise<void> {
  await runMigrations({ connectionString, logger: undefined, noPreparedStatements: false });
}
