import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { routeClassOf } from './route-class.ts';

const Count = z.coerce.number().int().min(0);
const GuardEnv = z.object({
  VMESH_RATE_LIMIT_API: Count.default(600),
  // Per workflow: 100 deliveries/s sustained. Some senders (GitHub) never redeliver a 429, so keep it generous.
  VMESH_RATE_LIMIT_HOOKS: Count.default(6_000),
  VMESH_RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1_000).default(60_000),
});

export type HttpGuardConfig = {
  /** Requests per window to /api/* per bearer token (or per client IP without one); 0 = unlimited. */
  apiMax: number;
  /** Requests per window to /hooks/:workflowId per workflow; 0 = unlimited. */
  hookMax: number;
  windowMs: number;
};

/** Reads VMESH_RATE_LIMIT_API, VMESH_RATE_LIMIT_HOOKS and VMESH_RATE_LIMIT_WINDOW_MS (defaults 600, 6000, 60000). */
export function parseHttpGuardConfig(env: NodeJS.ProcessEnv = process.env): HttpGuardConfig {
  const parsed = GuardEnv.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid rate-limit configuration: ${issues}. Use whole numbers (0 turns a limit off).`);
  }
  return {
    apiMax: parsed.data.VMESH_RATE_LIMIT_API,
    hookMax: parsed.data.VMESH_RATE_LIMIT_HOOKS,
    windowMs: parsed.data.VMESH_RATE_LIMIT_WINDOW_MS,
  };
}

class RateLimited extends Error {
  readonly after: string;
  constructor(after: string) {
    super('rate limited');
    this.after = after;
  }
}

type Limited = { kind: 'api' | 'hook'; key: string };

/**
 * Which limit a request falls under and its key, from the route fastify matched (see routeClassOf): hooks per routed
 * workflow id, the API per token (hashed) or client IP. However a path is spelled, one route is one bucket.
 */
function classify(request: FastifyRequest): Limited | undefined {
  const routed = routeClassOf(request);
  if (routed.kind === 'hook') return { kind: 'hook', key: `hook:${routed.params.workflowId ?? ''}` };
  // Every guess is another token: resume calls are limited per client, under the hooks' limit.
  if (routed.kind === 'resume') return { kind: 'hook', key: `resume:${request.ip}` };
  if (routed.kind !== 'api') return undefined;
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
    return {
      kind: 'api',
      key: `token:${createHash('sha256').update(auth).digest('base64url').slice(0, 22)}`,
    };
  }
  return { kind: 'api', key: `ip:${request.ip}` };
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Abuse guards for the HTTP server, installed before any route:
 * - rate limits (@fastify/rate-limit, in-memory per process): /api/* keyed by bearer token or IP, /hooks/:id keyed
 *   by workflow; over the limit → 429 E_RATE_LIMITED with Retry-After (seconds);
 * - /api/* bodies must be JSON: another content type → 415 E_UNSUPPORTED_MEDIA_TYPE (hooks accept any type).
 * Body size (413) and `__proto__`/`constructor.prototype` JSON (400) are fastify settings, see createHttpServer.
 */
export function installHttpGuards(app: FastifyInstance, config: HttpGuardConfig): void {
  let limiter: ReturnType<FastifyInstance['rateLimit']> | undefined;
  app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new RateLimited(context.after),
  });
  app.after(() => {
    limiter = app.rateLimit({
      max: (request) => (classify(request)?.kind === 'hook' ? config.hookMax : config.apiMax),
      timeWindow: config.windowMs,
      keyGenerator: (request) => classify(request)?.key ?? 'none',
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    const limited = classify(request);
    if (!limited) return;
    if (limiter && (limited.kind === 'hook' ? config.hookMax : config.apiMax) > 0) {
      try {
        await limiter.call(app, request, reply);
      } catch (error) {
        if (!(error instanceof RateLimited)) throw error;
        return reply.code(429).send({
          error: {
            code: 'E_RATE_LIMITED',
            message: `Too many requests; retry in ${error.after}.`,
            hint:
              limited.kind === 'hook'
                ? 'Slow the sender down, or raise VMESH_RATE_LIMIT_HOOKS (requests per window per workflow).'
                : 'Wait for Retry-After seconds, or raise VMESH_RATE_LIMIT_API (requests per window per token).',
          },
        });
      }
    }
    if (limited.kind === 'api' && BODY_METHODS.has(request.method) && hasBody(request)) {
      const type = String(request.headers['content-type'] ?? '');
      if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
        return reply.code(415).send({
          error: {
            code: 'E_UNSUPPORTED_MEDIA_TYPE',
            message: `The API takes JSON bodies, not "${type.slice(0, 80) || 'no content type'}".`,
            hint: 'Send Content-Type: application/json.',
          },
        });
      }
    }
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}
