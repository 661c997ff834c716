import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createLogger } from '../../lib/logger.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createHostAllowList } from '../sdk/outbound/allow-hosts.ts';
import { createGuardedSocketOpener } from '../sdk/outbound/guarded-socket.ts';

// Each vendor has one fake, `connectors/<vendor>/fake-server.ts`, started by `start<Vendor>Fake` and speaking the
// vendor's documented wire format; the connector's, the bots' and the evals' tests all use that one.

/** One request a fake server received, for assertions. */
export type RecordedRequest = {
  method: string;
  /** Path without the query string, e.g. `/api/chat.postMessage`. */
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
};

/** A canned failure the fake answers with instead of doing the real work. */
export type InjectedFailure = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests get this answer (default 1). */
  times?: number;
  /** Do the real work first, then answer with the failure (a lost response). Fakes that support it say so. */
  applyFirst?: boolean;
};

/**
 * Failures queued per route key (each fake documents its keys, e.g. Slack's method name
 * `chat.postMessage`, GitHub's `POST /repos/{owner}/{repo}/issues`). Taken first-in first-out.
 */
export class FailureQueue {
  readonly #queued = new Map<string, InjectedFailure[]>();

  add(route: string, failure: InjectedFailure): void {
    const list = this.#queued.get(route) ?? [];
    list.push({ ...failure, times: failure.times ?? 1 });
    this.#queued.set(route, list);
  }

  take(route: string): InjectedFailure | undefined {
    const list = this.#queued.get(route);
    const first = list?.[0];
    if (!list || !first) return undefined;
    first.times = (first.times ?? 1) - 1;
    if (first.times <= 0) list.shift();
    return first;
  }

  clear(): void {
    this.#queued.clear();
  }
}

/** Sends an injected failure as the reply (status, headers, JSON body). */
export function sendFailure(reply: FastifyReply, failure: InjectedFailure): FastifyReply {
  reply.code(failure.status);
  for (const [name, value] of Object.entries(failure.headers ?? {})) reply.header(name, value);
  return failure.body === undefined ? reply.send() : reply.send(failure.body);
}

export function recordRequest(request: FastifyRequest): RecordedRequest {
  return {
    method: request.method,
    path: request.url.split('?')[0] ?? request.url,
    query: (request.query ?? {}) as Record<string, unknown>,
    headers: request.headers,
    body: request.body,
  };
}

/** Listens on 127.0.0.1, port 0; returns the base URL (no trailing slash). */
export async function listenLocal(app: FastifyInstance): Promise<string> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return address.replace('localhost', '127.0.0.1');
}

/**
 * A ConnectorEnvironment for tests: plain fetch (the fakes live on 127.0.0.1), the real socket guard with the
 * fakes' hosts allowed (as VMESH_HTTP_ALLOW_HOSTS=127.0.0.1,localhost would), a silent logger.
 */
export function createTestEnvironment(
  baseUrls: Record<string, string | undefined> = {},
): ConnectorEnvironment {
  return {
    baseUrls,
    fetch: globalThis.fetch,
    openSocket: createGuardedSocketOpener({ isAllowedHost: createHostAllowList(['127.0.0.1', 'localhost']) }),
    logger: createLogger({ level: 'silent' }),
  };
}
