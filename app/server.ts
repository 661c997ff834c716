import Fastify, { type FastifyInstance } from 'fastify';
import { installRouteAuthorization, type PrincipalResolver } from '../access/index.ts';
import { checkDatabase, type Database } from '../db/index.ts';
import { logger } from '../lib/index.ts';
import { installAccessLog } from './access-log.ts';
import { installAuthentication } from './authenticate.ts';
import { parseServerConfig, type ServerConfig } from './config.ts';
import { installHttpGuards, parseHttpGuardConfig } from './http-guards.ts';
import { registerMetricsRoute } from './metrics/metrics-route.ts';
import { installReachGuard, mcpExtrasFromEnv } from './reach-guard.ts';

export type ServerDependencies = {
  database: Database;
  startedAt: number;
  version: string;
  /** Rate-limit settings come from here (VMESH_RATE_LIMIT_*); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * The server's own names (Host/Origin checks) and the shared VMESH_API_TOKEN (its holder is the local owner;
   * without one the server is loopback-only, and still needs a per-user token or a web session); defaults to
   * parseServerConfig(env).
   */
  config?: Pick<ServerConfig, 'host' | 'apiToken' | 'publicUrl'>;
  /** How other credentials (per-user tokens, web sessions) become a person; asked after the shared token. */
  principalResolvers?: readonly PrincipalResolver[];
};

/** The HTTP server shell: health, metrics and error handling. Feature routes are registered by the composition root. */
export function createHttpServer(deps: ServerDependencies): FastifyInstance {
  // Over bodyLimit → 413; JSON with `__proto__` or `constructor.prototype` keys → 400 (both fastify settings).
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  const env = deps.env ?? process.env;
  const config = deps.config ?? parseServerConfig(env);
  installAccessLog(app, logger);
  installReachGuard(app, { ...config, ...mcpExtrasFromEnv(env) });
  installHttpGuards(app, parseHttpGuardConfig(env));
  installAuthentication(app, {
    sql: deps.database.sql,
    sharedToken: config.apiToken,
    resolvers: deps.principalResolvers ?? [],
  });
  // Before any route: every /api route any part registers must declare its permission (fail closed).
  installRouteAuthorization(app);

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
  registerMetricsRoute(app, { sql: deps.database.sql, tokenConfigured: config.apiToken !== undefined });

  return app;
}
