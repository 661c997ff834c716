import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { sendFormMessagePage } from '../runtime/index.ts';
import { routeClassOf } from './route-class.ts';

const Count = z.coerce.number().int().min(0);
const GuardEnv = z.object({
  VMESH_RATE_LIMIT_API: Count.default(600),
  // Per workflow: 100 deliveries/s sustained. Some senders (GitHub) never redeliver a 429, so keep it generous.
  VMESH_RATE_LIMIT_HOOKS: Count.default(6_000),
  // Hosted forms are filled in by people: a few submissions a minute from one address is plenty.
  VMESH_RATE_LIMIT_FORMS: Count.default(30),
  VMESH_RATE_LIMIT_FORMS_PER_WORKFLOW: Count.default(600),
  VMESH_RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1_000).default(60_000),
});

export type HttpGuardConfig = {
  /** Requests per window to /api/* per bearer token (or per client IP without one); 0 = unlimited. */
  apiMax: number;
  /** Requests per window to /hooks/:workflowId per workflow; 0 = unlimited. */
  hookMax: number;
  /** Submissions per window to /forms/:workflowId per client IP (any form), and per workflow (any client); 0 = unlimited. */
  formIpMax: number;
  formWorkflowMax: number;
  windowMs: number;
};

/**
 * Reads VMESH_RATE_LIMIT_API, VMESH_RATE_LIMIT_HOOKS, VMESH_RATE_LIMIT_FORMS, VMESH_RATE_LIMIT_FORMS_PER_WORKFLOW and
 * VMESH_RATE_LIMIT_WINDOW_MS (defaults 600, 6000, 30, 600, 60000).
 */
export function parseHttpGuardConfig(env: NodeJS.ProcessEnv = process.env): HttpGuardConfig {
  const parsed = GuardEnv.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid rate-limit configuration: ${issues}. Use whole numbers (0 turns a limit off).`);
  }
  return {
    apiMax: parsed.data.VMESH_RATE_LIMIT_API,
    hookMax: parsed.data.VMESH_RATE_LIMIT_HOOKS,
    formIpMax: parsed.data.VMESH_RATE_LIMIT_FORMS,
    formWorkflowMax: parsed.data.VMESH_RATE_LIMIT_FORMS_PER_WORKFLOW,
    windowMs: parsed.data.VMESH_RATE_LIMIT_WINDOW_MS,
  };
}

type LimitKind = 'api' | 'hook' | 'formIp' | 'formWorkflow';
type Limited = { kind: LimitKind; key: string };

/**
 * Which limits a request falls under and their keys, from the route fastify matched (see routeClassOf): hooks per
 * routed workflow id, the API per token (hashed) or client IP, form submissions per client IP and per workflow (a
 * form page, GET, per client IP under the API's limit). However a path is spelled, one route is one bucket.
 */
function classify(request: FastifyRequest): Limited[] {
  const routed = routeClassOf(request);
  if (routed.kind === 'hook') return [{ kind: 'hook', key: `hook:${routed.params.workflowId ?? ''}` }];
  // Every guess is another token: resume calls are limited per client, under the hooks' limit.
  if (routed.kind === 'resume') return [{ kind: 'hook', key: `resume:${request.ip}` }];
  // Connect links and the OAuth2 callback: every guess is another token or state, limited per client the same way.
  if (routed.kind === 'connect') return [{ kind: 'hook', key: `connect:${request.ip}` }];
  if (routed.kind === 'form') {
    if (request.method !== 'POST') return [{ kind: 'api', key: `form-page:${request.ip}` }];
    return [
      { kind: 'formIp', key: `form-ip:${request.ip}` },
      { kind: 'formWorkflow', key: `form:${routed.params.workflowId ?? ''}` },
    ];
  }
  if (routed.kind !== 'api') return [];
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
    return [
      {
        kind: 'api',
        key: `token:${createHash('sha256').update(auth).digest('base64url').slice(0, 22)}`,
      },
    ];
  }
  return [{ kind: 'api', key: `ip:${request.ip}` }];
}

const HINTS: Readonly<Record<LimitKind, string>> = {
  api: 'Wait for Retry-After seconds, or raise VMESH_RATE_LIMIT_API (requests per window per token).',
  hook: 'Slow the sender down, or raise VMESH_RATE_LIMIT_HOOKS (requests per window per workflow).',
  formIp:
    'Wait a minute before sending the form again (VMESH_RATE_LIMIT_FORMS: submissions per window per client).',
  formWorkflow:
    'This form takes no more submissions right now; try again in a minute (VMESH_RATE_LIMIT_FORMS_PER_WORKFLOW).',
};

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Abuse guards for the HTTP server, installed before any route:
 * - rate limits (@fastify/rate-limit, in-memory per process): /api/* keyed by bearer token or IP, /hooks/:id keyed
 *   by workflow, form submissions by client IP and by workflow; over a limit → 429 E_RATE_LIMITED with
 *   Retry-After (seconds);
 * - /api/* bodies must be JSON: another content type → 415 E_UNSUPPORTED_MEDIA_TYPE (hooks accept any type).
 * Body size (413) and `__proto__`/`constructor.prototype` JSON (400) are fastify settings, see createHttpServer.
 */
const isFormLimit = (kind: LimitKind) => kind === 'formIp' || kind === 'formWorkflow';

/** A browser sending the form page (Accept: text/html), not a script posting JSON. */
function wantsPage(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  const type = String(request.headers['content-type'] ?? '');
  return /text\/html/i.test(accept) && !/json/i.test(type);
}

export function installHttpGuards(app: FastifyInstance, config: HttpGuardConfig): void {
  const maxOf: Readonly<Record<LimitKind, number>> = {
    api: config.apiMax,
    hook: config.hookMax,
    formIp: config.formIpMax,
    formWorkflow: config.formWorkflowMax,
  };
  type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
  const limiters = new Map<LimitKind, Limiter>();
  app.register(rateLimit, { global: false });
  app.after(() => {
    for (const kind of Object.keys(maxOf) as LimitKind[]) {
      limiters.set(
        kind,
        app.createRateLimit({
          max: maxOf[kind],
          timeWindow: config.windowMs,
          keyGenerator: (request) => classify(request).find((limit) => limit.kind === kind)?.key ?? 'none',
        }),
      );
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    // Every limit a request falls under counts it (a form submission: its client and its workflow).
    for (const limited of classify(request)) {
      const limiter = limiters.get(limited.kind);
      if (!limiter || maxOf[limited.kind] === 0) continue;
      const state = await limiter(request);
      if (state.isAllowed) continue;
      reply.header('x-ratelimit-limit', state.max);
      reply.header('x-ratelimit-remaining', state.remaining);
      reply.header('x-ratelimit-reset', state.ttlInSeconds);
      if (state.isExceeded) {
        reply.header('retry-after', state.ttlInSeconds);
        if (isFormLimit(limited.kind) && wantsPage(request)) {
          return sendFormMessagePage(
            reply,
            429,
            'Too many submissions',
            `This form was sent too often. Wait ${state.ttlInSeconds} seconds, then go back and send it again: your answers are still on the previous page.`,
          );
        }
        return reply
          .code(429)
          .header('retry-after', state.ttlInSeconds)
          .send({
            error: {
              code: 'E_RATE_LIMITED',
              message: `Too many requests; retry in ${state.ttlInSeconds} s.`,
              hint: HINTS[limited.kind],
            },
          });
      }
    }
    const api = routeClassOf(request).kind === 'api';
    if (api && BODY_METHODS.has(request.method) && hasBody(request)) {
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
