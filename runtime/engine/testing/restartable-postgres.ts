import { rm } from 'node:fs/promises';
import { ensureDatabaseExists } from '../../../db/database.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../../db/embedded.ts';
import { migrateDatabase } from '../../../db/migrate.ts';
import { installWorkerSchema } from '../worker-schema.ts';
import { startTcpProxy } from './tcp-proxy.ts';

export type RestartablePostgres = {
  /** URL of the migrated database through the proxy: the same address before and after a restart. */
  url: string;
  /**
   * Fast shutdown (SIGINT: open sessions are terminated, everything committed is kept), then start again on the
   * same data directory. `whileDown` runs between the two. Returns how long the server was down.
   */
  restart(whileDown?: () => void | Promise<void>): Promise<{ downMs: number; stopMs: number }>;
  /** Stops the server and the proxy and removes the data directory. */
  destroy(): Promise<void>;
};

/**
 * A PostgreSQL of its own (embedded, in `dataDir`) that a test may stop and start without touching the shared
 * test server. Clients connect through a TCP proxy that follows the server to its new port after a restart,
 * so to them it is the same server coming back.
 */
export async function startRestartablePostgres(options: {
  dataDir: string;
  database: string;
  maxConnections?: number;
}): Promise<RestartablePostgres> {
  const start = () =>
    startEmbeddedPostgres({
      dataDir: options.dataDir,
      durability: 'full',
      maxConnections: options.maxConnections ?? 100,
    });
  let server: EmbeddedServer | undefined = await start();
  await ensureDatabaseExists(server.url, options.database);
  const direct = server.urlFor(options.database);
  await migrateDatabase(direct);
  await installWorkerSchema(direct);
  const proxy = await startTcpProxy(server.port);
  const url = new URL(direct);
  url.port = String(proxy.port);
  return {
    url: url.toString(),
    async restart(whileDown) {
      const stopping = performance.now();
      await server?.stop();
      server = undefined;
      const stopped = performance.now();
      await whileDown?.();
      server = await start();
      proxy.retarget(server.port);
      return {
        downMs: Math.round(performance.now() - stopped),
        stopMs: Math.round(stopped - stopping),
      };
    },
    async destroy() {
      await proxy.close();
      await server?.stop();
      await rm(options.dataDir, { recursive: true, force: true });
    },
  };
}
