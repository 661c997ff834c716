import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { createHttpServer } from '../../../app/server.ts';
import {
  builtinConnectors,
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  loadSecretKey,
} from '../../../connectors/index.ts';
import { findFreePort } from '../../../db/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../../services.ts';
import type { EngineWorker } from '../worker.ts';

/**
 * The product around the built-in connectors, for engine tests of a connector family: a fresh database, the
 * engine services with the connectors pointed at their vendor fakes, the credential store, the HTTP server on its
 * public URL (hooks, API) and a worker.
 */
export type ConnectorEngine = {
  db: TestDatabase;
  engine: EngineServices;
  app: FastifyInstance;
  worker: EngineWorker;
  publicUrl: string;
  credentials: CredentialStore;
  /** A call to the API with the shared token; a non-2xx answer fails the test, naming the route and the body. */
  api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  /** The rows of these runs, their steps and events as stored, in one string (to search for secrets). */
  storedRecords(...runIds: string[]): Promise<string>;
  stop(): Promise<void>;
};

export async function startConnectorEngine(options: {
  /** Connector id → its fake's URL. */
  baseUrls: Record<string, string>;
  /** Tells the test files' secret keys apart. */
  keySeed: number;
  poolSize?: number;
  concurrency?: number;
}): Promise<ConnectorEngine> {
  const db = await createTestDatabase({ poolSize: options.poolSize ?? 10 });
  const port = await findFreePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const apiToken = `test-token-connector-engine-${options.keySeed}-0123456789`;
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  const env = {
    VMESH_SECRET_KEY: Buffer.alloc(32, options.keySeed).toString('base64'),
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    VMESH_PUBLIC_URL: publicUrl,
  };
  const engine = await createEngineServices(database, { env, connectors: builtinConnectors });
  Object.assign(engine.deps.connectorEnv.baseUrls, options.baseUrls);
  const credentials = createCredentialStore({
    sql: db.sql,
    key: await loadSecretKey({ dataDir: '/nonexistent', env }),
    types: credentialTypesOf(builtinConnectors),
  });
  const app = createHttpServer({
    database,
    startedAt: Date.now(),
    version: 'test',
    env: {},
    config: { host: '127.0.0.1', apiToken, publicUrl },
  });
  engine.registerHttp(app, { publicUrl });
  await app.listen({ host: '127.0.0.1', port });
  const worker = await engine.startWorker({ concurrency: options.concurrency ?? 4 });
  return {
    db,
    engine,
    app,
    worker,
    publicUrl,
    credentials,
    async api(method, path, body) {
      const response = await app.inject({
        method: method as 'GET',
        url: path,
        headers: {
          authorization: `Bearer ${apiToken}`,
          host: new URL(publicUrl).host,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      expect(response.statusCode, `${method} ${path}: ${response.body}`).toBeLessThan(300);
      return response.json();
    },
    async storedRecords(...runIds) {
      return JSON.stringify([
        await db.sql`select * from runs where id = any(${runIds}::text[])`,
        await db.sql`select * from steps where run_id = any(${runIds}::text[])`,
        await db.sql`select * from run_events where run_id = any(${runIds}::text[])`,
      ]);
    },
    async stop() {
      await worker.stop();
      await app.close();
      await db.drop();
    },
  };
}
