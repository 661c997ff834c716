import type { FastifyInstance } from 'fastify';
import { loadAllConnectors } from '../connectors/openapi/index.ts';
import { type Database, openDatabase, parseDatabaseConfig } from '../db/index.ts';
import { logger } from '../lib/logger.ts';
import { createEngineServices } from '../runtime/engine/engine-services.ts';
import { installWorkerSchema } from '../runtime/engine/worker-schema.ts';
import { parseServerConfig, type ServerConfig } from './config.ts';
import { createHttpServer } from './server.ts';
import { VERSION } from './version.ts';

export type RunningApp = {
  database: Database;
  server: FastifyInstance;
  config: ServerConfig;
  url: string;
  stop(): Promise<void>;
};

/** The composition root: database, HTTP server, and (as later parts land) worker and bots. */
export async function startApp(env: NodeJS.ProcessEnv = process.env): Promise<RunningApp> {
  const startedAt = Date.now();
  const config = parseServerConfig(env);
  const database = await openDatabase(parseDatabaseConfig(env), { log: (message) => logger.debug(message) });
  try {
    await installWorkerSchema(database.url);
    const server = createHttpServer({ database, startedAt, version: VERSION });
    const connectors = await loadAllConnectors(database.sql, logger);
    const engine = await createEngineServices(database, {
      env,
      dataDir: parseDatabaseConfig(env).dataDir,
      connectors,
    });
    engine.registerHttp(server, { publicUrl: config.publicUrl, apiToken: config.apiToken });
    const url = await server.listen({ host: config.host, port: config.port });
    const worker = env.VMESH_NO_WORKER === '1' ? undefined : await engine.startWorker();
    logger.info({ url, database: database.kind }, 'VelocityMesh is listening');
    return {
      database,
      server,
      config,
      url,
      async stop() {
        await server.close();
        await worker?.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
