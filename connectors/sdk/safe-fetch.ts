import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Agent, Response as UndiciResponse, fetch as undiciFetch } from 'undici';
import { containsSecret, startClientSpan } from '../../lib/index.ts';
import { ConnectorError } from './connector-error.ts';
import { createHostAllowList, parseAllowHosts } from './outbound/allow-hosts.ts';
import { blockedAddressReason, isIpLiteral } from './outbound/blocked-address.ts';
import { blockedDestinationError, findConnectorError } from './outbound/blocked-destination-error.ts';
import { capBody, responseTooLargeError } from './outbound/capped-body.ts';
import { createGuardedLookup, type LookupAll } from './outbound/guarded-lookup.ts';
import { createGuardedSocketOpener, type OpenSocket } from './outbound/guarded-socket.ts';

export type SafeFetchOptions = {
  /** Exact hosts that bypass the address block (from VMESH_HTTP_ALLOW_HOSTS), e.g. ['127.0.0.1', 'localhost']. */
  allowHosts?: string[];
  /** Responses larger than this fail with E_RESPONSE_TOO_LARGE (default 10 MiB). */
  maxResponseBytes?: number;
  /** Cap on the whole exchange: connect, redirects, headers and body (default 30 s). */
  timeoutMs?: number;
  /** Redirects followed, each re-checked (default 5). */
  maxRedirects?: number;
  /** DNS resolution used at connect time (default dns.lookup); tests inject one. */
  lookup?: LookupAll;
};

export const SAFE_FETCH_DEFAULTS = { maxResponseBytes: 10 * 1024 * 1024, timeoutMs: 30_000, maxRedirects: 5 };

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * RequestInit plus the names of the headers a credential set (e.g. `X-Api-Key`): they are dropped, like
 * Authorization, when a redirect leaves the origin.
 */
export type SafeRequestInit = RequestInit & {
  credentialHeaders?: readonly string[];
  /** This request's own response cap (a file download, whose size the file store caps), instead of the fetch's. */
  maxResponseBytes?: number;
  /** This request's own time cap (a file transfer may take longer than the fetch's default), instead of the fetch's. */
  timeoutMs?: number;
};

/**
 * What may follow a redirect to another origin: no Authorization, Cookie or Proxy-Authorization, no header a
 * credential set, no header whose value holds a known secret, and no query parameter that holds one.
 */
function stripCredentialsForOrigin(headers: Headers, next: URL, credentialHeaders: readonly string[]): void {
  // A token in the path (a url-token credential, copied into the Location) cannot be taken out: refuse the hop.
  if (containsSecret(next.pathname) || containsSecret(safeDecode(next.pathname))) {
    throw new ConnectorError({
      code: 'E_REDIRECT',
      message: `A redirect to ${next.origin} would carry a credential in its path, so it was not followed.`,
      retryable: false,
      hint: 'Use the final URL directly; a credential never goes to another origin.',
    });
  }
  for (const name of [...CREDENTIAL_HEADERS, ...credentialHeaders]) headers.delete(name);
  for (const [name, value] of [...headers]) if (containsSecret(value)) headers.delete(name);
  for (const [name, value] of [...next.searchParams]) {
    if (containsSecret(value) || containsSecret(name)) next.searchParams.delete(name);
  }
}

/**
 * A `fetch` for every request made on a workflow's behalf. It refuses non-http(s) schemes and any
 * destination that is not a public address (in every spelling, and for names that resolve to one),
 * checking the address actually connected to; it follows redirects itself, re-checking each hop and
 * dropping every credential when a hop leaves the origin, and caps response size and total time. Hosts in `allowHosts` bypass the address check.
 */
export function createSafeFetch(options: SafeFetchOptions = {}): typeof fetch {
  const defaultMaxResponseBytes = options.maxResponseBytes ?? SAFE_FETCH_DEFAULTS.maxResponseBytes;
  const defaultTimeoutMs = options.timeoutMs ?? SAFE_FETCH_DEFAULTS.timeoutMs;
  const maxRedirects = options.maxRedirects ?? SAFE_FETCH_DEFAULTS.maxRedirects;
  const isAllowedHost = createHostAllowList(options.allowHosts ?? []);
  const agent = new Agent({
    connect: {
      lookup: createGuardedLookup({ isAllowedHost, ...(options.lookup ? { lookup: options.lookup } : {}) }),
    },
  });

  const safeFetch = async (input: RequestInfo | URL, init?: SafeRequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const credentialHeaders = init?.credentialHeaders ?? [];
    const maxResponseBytes = init?.maxResponseBytes ?? defaultMaxResponseBytes;
    const timeoutMs = init?.timeoutMs ?? defaultTimeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(timeoutError(timeoutMs, request.url)), timeoutMs);
    timer.unref?.();
    const signal = AbortSignal.any([request.signal, timeout.signal]);
    const translate = (error: unknown): unknown => {
      if (timeout.signal.aborted && !request.signal.aborted) return timeout.signal.reason;
      if (request.signal.aborted) return request.signal.reason ?? error;
      return findConnectorError(error) ?? networkError(error, request.url);
    };

    let url = new URL(request.url);
    let method = request.method;
    const headers = new Headers(request.headers);
    // A streamed body (a file) goes out as it is read, so it cannot be sent twice: a redirect that keeps the body fails.
    const streamed = init?.body instanceof ReadableStream;
    let body: ArrayBuffer | ReadableStream<Uint8Array> | undefined =
      method === 'GET' || method === 'HEAD' || request.body === null
        ? undefined
        : streamed && request.body
          ? request.body
          : await request.arrayBuffer();
    let redirected = false;

    try {
      for (let hop = 0; ; hop++) {
        checkDestination(url, isAllowedHost);
        let response: Awaited<ReturnType<typeof undiciFetch>>;
        // Each hop carries the step's trace (W3C traceparent), as a client span of its own when tracing is on.
        const span = startClientSpan(method, url);
        if (span.traceparent) headers.set('traceparent', span.traceparent);
        try {
          response =
            body instanceof ReadableStream
              ? await sendStreamed(agent, { url, method, headers, body, signal })
              : await undiciFetch(url, {
                  method,
                  headers: [...headers],
                  body,
                  redirect: 'manual',
                  signal,
                  dispatcher: agent,
                });
          span.answered(response.status);
        } catch (error) {
          const translated = translate(error);
          span.failed(translated);
          throw translated;
        } finally {
          span.end();
        }
        const location = response.headers.get('location');
        if (REDIRECT_STATUSES.has(response.status) && location && request.redirect !== 'manual') {
          await response.body?.cancel().catch(() => {});
          if (request.redirect === 'error') {
            throw new ConnectorError({
              code: 'E_REDIRECT',
              message: `${url.origin} answered with a redirect and redirects were refused for this request.`,
              retryable: false,
              hint: 'Use the final URL directly.',
            });
          }
          if (hop >= maxRedirects) {
            throw new ConnectorError({
              code: 'E_TOO_MANY_REDIRECTS',
              message: `More than ${maxRedirects} redirects starting at ${request.url}.`,
              retryable: false,
              hint: 'Use the final URL directly, or check the server for a redirect loop.',
            });
          }
          const next = new URL(location, url);
          if (
            response.status === 303 ||
            ((response.status === 301 || response.status === 302) && method === 'POST')
          ) {
            if (method !== 'HEAD') method = 'GET';
            body = undefined;
            headers.delete('content-type');
            headers.delete('content-length');
          } else if (body instanceof ReadableStream) {
            throw new ConnectorError({
              code: 'E_REDIRECT',
              message: `${url.origin} answered ${response.status} with a redirect, which would send the streamed body again; it was not followed.`,
              retryable: false,
              hint: 'Use the final URL directly.',
            });
          }
          if (next.origin !== url.origin) stripCredentialsForOrigin(headers, next, credentialHeaders);
          url = next;
          redirected = true;
          continue;
        }
        const declared = Number(response.headers.get('content-length'));
        if (Number.isFinite(declared) && declared > maxResponseBytes) {
          await response.body?.cancel().catch(() => {});
          throw responseTooLargeError(maxResponseBytes, url.toString());
        }
        const responseHeaders = new Headers();
        for (const [name, value] of response.headers) responseHeaders.append(name, value);
        const cappedBody =
          response.body === null || NULL_BODY_STATUSES.has(response.status)
            ? null
            : capBody(response.body as ReadableStream<Uint8Array>, {
                limit: maxResponseBytes,
                url: url.toString(),
                abort: (reason) => timeout.abort(reason),
                translate,
                onSettled: () => clearTimeout(timer),
              });
        if (cappedBody === null) clearTimeout(timer);
        const result = new Response(cappedBody, {
          status: response.status,
          statusText: response.statusText,
          headers: responseHeaders,
        });
        Object.defineProperty(result, 'url', { value: url.toString() });
        Object.defineProperty(result, 'redirected', { value: redirected });
        return result;
      }
    } catch (error) {
      clearTimeout(timer);
      throw error;
    }
  };
  return safeFetch as typeof fetch;
}

/**
 * Sends a streamed body with undici's `request` on the same guarded agent: undici's `fetch` keeps every chunk of a
 * streamed request body until the exchange ends (a whole file in memory); `request` reads it with backpressure.
 */
async function sendStreamed(
  agent: Agent,
  sending: {
    url: URL;
    method: string;
    headers: Headers;
    body: ReadableStream<Uint8Array>;
    signal: AbortSignal;
  },
): Promise<UndiciResponse> {
  const { url, method, headers, body, signal } = sending;
  const answer = await agent.request({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: method as 'POST',
    headers: Object.fromEntries(headers),
    body: Readable.fromWeb(body as NodeReadableStream<Uint8Array>),
    signal,
  });
  const responseHeaders: [string, string][] = [];
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      responseHeaders.push([name, item]);
    }
  }
  const empty = method === 'HEAD' || NULL_BODY_STATUSES.has(answer.statusCode);
  if (empty) await answer.body.dump();
  return new UndiciResponse(empty ? null : (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>), {
    status: answer.statusCode,
    headers: responseHeaders,
  });
}

/** The socket guard configured from the environment (`VMESH_HTTP_ALLOW_HOSTS`, the same list as the safe fetch). */
export function createSocketOpenerFromEnv(env: NodeJS.ProcessEnv = process.env): OpenSocket {
  return createGuardedSocketOpener({
    isAllowedHost: createHostAllowList(parseAllowHosts(env.VMESH_HTTP_ALLOW_HOSTS)),
  });
}

/** A safe fetch configured from the environment (`VMESH_HTTP_ALLOW_HOSTS`). */
export function createSafeFetchFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Omit<SafeFetchOptions, 'allowHosts'> = {},
): typeof fetch {
  return createSafeFetch({ ...overrides, allowHosts: parseAllowHosts(env.VMESH_HTTP_ALLOW_HOSTS) });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function checkDestination(url: URL, isAllowedHost: (hostname: string) => boolean): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConnectorError({
      code: 'E_BLOCKED_DESTINATION',
      message: `Outbound request blocked: the scheme ${url.protocol} is not allowed (only http: and https:).`,
      retryable: false,
      hint: 'Use an http:// or https:// URL.',
      details: { scheme: url.protocol },
    });
  }
  if (isAllowedHost(url.hostname)) return;
  if (isIpLiteral(url.hostname)) {
    const reason = blockedAddressReason(url.hostname);
    if (reason) throw blockedDestinationError({ host: url.hostname, reason });
  }
}

function timeoutError(timeoutMs: number, url: string): ConnectorError {
  return new ConnectorError({
    code: 'E_TIMEOUT',
    message: `The request to ${url} took longer than ${timeoutMs} ms and was stopped.`,
    retryable: true,
    hint: 'The server was slow; the step is retried. If it keeps happening, ask for less data or raise timeoutMs.',
    details: { timeoutMs },
  });
}

function networkError(error: unknown, url: string): ConnectorError {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = cause && typeof cause === 'object' && 'code' in cause ? String(cause.code) : undefined;
  const notFound = code === 'ENOTFOUND' || code === 'EAI_NONAME';
  return new ConnectorError({
    code: notFound ? 'E_HOST_NOT_FOUND' : 'E_NETWORK',
    message: notFound
      ? `The host of ${url} could not be resolved.`
      : `The request to ${url} failed before an answer arrived${code ? ` (${code})` : ''}.`,
    retryable: !notFound,
    hint: notFound ? 'Check the URL’s host name for typos.' : 'Usually temporary; the step is retried.',
    details: code ? { errno: code } : {},
    cause: error,
  });
}
