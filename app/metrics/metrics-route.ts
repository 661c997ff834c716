import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { allows } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { routeClassOf } from '../route-class.ts';
import { registerCredentialRefreshMetrics } from './credential-refresh-metrics.ts';
import { registerDatabaseMetrics } from './database-metrics.ts';
import { registerEngineGauges } from './engine-gauges.ts';
import { registerLlmMetrics } from './llm-metrics.ts';
import { registerRunEventMetrics } from './run-event-metrics.ts';
import { registerSandboxMetrics } from './sandbox-metrics.ts';

export type MetricsOptions = {
  sql: Sql;
  /** Whether a shared VMESH_API_TOKEN is configured: then a scrape must present a token. */
  tokenConfigured: boolean;
};

const isLoopback = (ip: string) => ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';

/**
 * Whether this request may read the metrics: a person (a token or session) allowed to read workflows; without a
 * shared token configured, also an anonymous scrape from this machine.
 */
function mayScrape(request: FastifyRequest, tokenConfigured: boolean): boolean {
  if (request.principal) return allows(request.principal, 'workflow.read');
  return !tokenConfigured && isLoopback(request.ip);
}

/** `GET /metrics`: the Prometheus text exposition of the engine, its queue, triggers, webhooks and this process. */
export function registerMetricsRoute(app: FastifyInstance, options: MetricsOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vmesh_' });
  const runEvents = registerRunEventMetrics(registry, options.sql);
  const llm = registerLlmMetrics(registry, options.sql);
  const sandbox = registerSandboxMetrics(registry, options.sql);
  registerEngineGauges(registry, options.sql);
  const totals = [
    registerCredentialRefreshMetrics(registry, options.sql),
    registerDatabaseMetrics(registry, options.sql),
  ];
  const webhooks = new Counter({
    name: 'vmesh_webhook_requests_total',
    help: 'Requests to workflow hooks (/hooks/…), by HTTP status answered.',
    labelNames: ['status'],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    if (routeClassOf(request).kind === 'hook') webhooks.inc({ status: String(reply.statusCode) });
  });
  // The first catch-up only notes where the events are: runs after this process started are counted.
  void runEvents.catchUp().catch(() => {});
  void llm.catchUp().catch(() => {});
  void sandbox.catchUp().catch(() => {});
  for (const fed of totals) void fed.catchUp().catch(() => {});

  app.get('/metrics', async (request, reply) => {
    if (!mayScrape(request, options.tokenConfigured)) {
      return reply.code(401).send({
        code: 'E_UNAUTHORIZED',
        message: 'Reading /metrics needs a token of someone who may read workflows.',
        hint: 'Give the scraper `Authorization: Bearer <token>` (VMESH_API_TOKEN, or `vmesh tokens create --user NAME --name prometheus`).',
      });
    }
    await Promise.all([
      runEvents.catchUp(),
      llm.catchUp(),
      sandbox.catchUp(),
      ...totals.map((fed) => fed.catchUp()),
    ]);
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(text);
  });
  return registry;
}
