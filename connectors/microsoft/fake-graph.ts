import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

/** Graph's error body (https://learn.microsoft.com/graph/errors). */
export function graphError(code: string, message: string) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString(),
        'request-id': randomUUID(),
        'client-request-id': randomUUID(),
      },
    },
  };
}

export type GraphFakeBase = {
  app: FastifyInstance;
  requests: RecordedRequest[];
  token(): string;
  revoke(): void;
  rotate(token: string): void;
  fail(route: string, failure: InjectedFailure): void;
  notFound(reply: FastifyReply, what: string): FastifyReply;
};

/**
 * The parts every Graph fake shares: bearer tokens checked on every /v1.0 request (401 InvalidAuthenticationToken
 * otherwise), recorded requests, and failures queued by route key (`METHOD /path` with ids as `:id`).
 */
export function createGraphFakeBase(routeKey: (method: string, path: string) => string): GraphFakeBase {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 10 * 1024 * 1024 });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  let token = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}`;

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '').replace(/^\/v1\.0/, '');
    const failure = failures.take(routeKey(request.method, path));
    if (failure) return sendFailure(reply, failure);
    if (request.headers.authorization !== `Bearer ${token}`) {
      return reply
        .code(401)
        .header(
          'www-authenticate',
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"',
        )
        .send(
          graphError(
            'InvalidAuthenticationToken',
            request.headers.authorization
              ? 'Lifetime validation failed, the token is expired.'
              : 'Access token is empty.',
          ),
        );
    }
  });

  return {
    app,
    requests,
    token: () => token,
    revoke() {
      token = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}`;
    },
    rotate(next) {
      token = next;
    },
    fail: (route, failure) => failures.add(route, failure),
    notFound: (reply, what) =>
      reply
        .code(404)
        .send(graphError('ErrorItemNotFound', `The specified object was not found in the store. (${what})`)),
  };
}
