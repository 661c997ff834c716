import type { FastifyInstance, FastifyRequest } from 'fastify';
import { inboundSpanOf, type Logger } from '../lib/index.ts';

/** Probes that would fill the log at info: logged at debug. */
const QUIET_ROUTES = new Set(['/healthz', '/metrics']);

/**
 * One access line per answered request: method, the route pattern fastify matched (never the raw URL: query
 * strings and hook paths carry tokens), status, duration and request id, and the trace id of a webhook delivery.
 * No headers, no cookies, no bodies, no client address.
 */
export function installAccessLog(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = routePattern(request);
    const line = {
      event: 'http.request',
      method: request.method,
      route,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      requestId: request.id,
      traceId: inboundSpanOf(request)?.traceId,
    };
    if (route !== null && QUIET_ROUTES.has(route)) logger.debug(line, 'request');
    else logger.info(line, 'request');
  });
}

function routePattern(request: FastifyRequest): string | null {
  return request.routeOptions.url ?? null;
}
