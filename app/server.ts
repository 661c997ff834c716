import Fastify, { type FastifyInstance } from 'fastify';
import { checkDatabase, type Database } from '../db/index.ts';

export type ServerDependencies = {
  database: Database;
  startedAt: number;
  version: string;
};

/** The HTTP server shell: health and error handling. Feature routes are registered by the composition root. */
export function createHttpServer(deps: ServerDependencies): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

  app.get('/healthz', async (_request, reply) => {
    const database = await checkDatabase(deps.database.sql);
    const body = {
      status: database.ok ? 'ok' : 'degraded',
      version: deps.version,
      uptimeMs: Date.now() - deps.startedAt,
      database: { ok: database.ok, kind: deps.database.kind, latencyMs: database.latencyMs },
    };
    return reply.code(database.ok ? 200 : 503).send(body);
  });

  return app;
}
