import { type AuthRequest, type BoundAuth, changedHeaderNames } from '../auth/auth-style.ts';
import { ConnectorError, connectorErrorFromStatus, retryAfterFromHeaders } from '../connector-error.ts';
import type { ConnectorEnvironment } from '../define.ts';
import type { SafeRequestInit } from '../safe-fetch.ts';
import { appendQuery, type RestRequest, type RestResponse } from './rest-request.ts';

/** What a vendor's error body says, read by the connector's `vendorError`. */
export type VendorError = {
  message?: string | undefined;
  /**
   * The error code when the status alone says the wrong thing (a GraphQL API's RATELIMITED or
   * AUTHENTICATION_ERROR on a 400 is E_RATE_LIMITED or E_AUTH); default: the status's.
   */
  code?: string | undefined;
  /** The vendor's own error code (kept in the error's details). */
  vendorCode?: string | undefined;
  /** What to change, in the vendor's terms; else the connector's hint for the status, else the shared one. */
  hint?: string | undefined;
  /** Overrides the status's retryability (a vendor's "try again" 400, a permanent 503). */
  retryable?: boolean | undefined;
  /** The wait the body asks for (Todoist's `error_extra.retry_after`), when no header says it. */
  retryAfterMs?: number | undefined;
};

/**
 * A REST API as data: where it is, how a credential goes on a request, how its error bodies read. Everything a
 * declarative action needs besides its own request.
 */
export type RestApi<Credential> = {
  /** The connector id: error messages name it, and `env.baseUrls[connector]` points it at a fake in tests. */
  connector: string;
  baseUrl: string;
  /** How the credential is sent: one of the SDK's auth styles bound to it (`bindAuth(bearerStyle, …)`). */
  auth?(credential: Credential): BoundAuth;
  /** Headers every request carries (an API version header, `accept`). */
  headers?: Readonly<Record<string, string>>;
  /**
   * Reads the vendor's error body (called for every non-2xx answer); `headers` for vendors whose wait is in
   * their own headers (HubSpot's X-HubSpot-RateLimit-*).
   */
  vendorError?(body: unknown, status: number, headers: Headers): VendorError | undefined;
  /** Hints by HTTP status when the vendor body gives none ("store a new API token with …" for 401). */
  hints?: Readonly<Partial<Record<number, string>>>;
};

/** The client every declarative action and poll trigger of a REST connector gets. */
export type RestClient = {
  readonly connector: string;
  readonly baseUrl: URL;
  /** Sends one request (a path relative to the base URL, or an absolute URL of the API's origin: a next link). */
  send(request: RestRequest | { method: 'GET'; url: URL }, signal: AbortSignal): Promise<RestResponse>;
};

const MAX_ERROR_SNIPPET = 500;

/** The client for `api` with the step's credential: createClient of a REST connector. */
export function createRestClient<Credential>(
  api: RestApi<Credential>,
  options: { credential: Credential | undefined; env: ConnectorEnvironment },
): RestClient {
  const baseUrl = new URL(withTrailingSlash(options.env.baseUrls[api.connector] ?? api.baseUrl));
  const auth = options.credential !== undefined && api.auth ? api.auth(options.credential) : undefined;
  const { env } = options;
  return {
    connector: api.connector,
    baseUrl,
    async send(request, signal) {
      const unsigned =
        'url' in request ? linkRequest(request.url, baseUrl, api) : toAuthRequest(request, baseUrl, api);
      const stream = 'url' in request ? undefined : request.stream?.stream;
      const response = await sendSigned(unsigned, auth, env, signal, stream);
      const body = await readBody(response);
      const label = `${unsigned.method} ${unsigned.url.pathname}`;
      if (response.status < 200 || response.status > 299) {
        throw vendorFailure(api, response, body, label);
      }
      // A vendor that says the budget is spent before a 429 (remaining 0 and a reset time) holds back the credential.
      const waitMs = retryAfterFromHeaders(response.headers);
      if (waitMs !== undefined && waitMs > 0) await env.reportRateLimit?.(waitMs);
      return { status: response.status, headers: response.headers, body };
    },
  };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function baseHeaders<Credential>(api: RestApi<Credential>): Headers {
  const headers = new Headers({ accept: 'application/json' });
  for (const [name, value] of Object.entries(api.headers ?? {})) headers.set(name, value);
  return headers;
}

function toAuthRequest<Credential>(
  request: RestRequest,
  baseUrl: URL,
  api: RestApi<Credential>,
): AuthRequest {
  // Paths are relative to the base (its own path kept): "tasks" under https://api.todoist.com/api/v1/.
  const url = new URL(request.path.replace(/^\/+/, ''), baseUrl);
  if (url.origin !== baseUrl.origin) throw new Error(`The path ${request.path} leaves ${baseUrl.origin}.`);
  if (request.query) appendQuery(url.searchParams, request.query);
  const headers = baseHeaders(api);
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers.set(name, value);
  }
  let body: string | undefined;
  if (request.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    const form = new URLSearchParams();
    appendQuery(form, request.form);
    body = form.toString();
  } else if (request.stream !== undefined) {
    headers.set('content-type', request.stream.contentType);
    headers.set('content-length', String(request.stream.length));
  }
  return { method: request.method, url, headers, body: body === undefined ? undefined : Buffer.from(body) };
}

/** A next-page URL the vendor gave: only on the API's own origin, so the credential never goes elsewhere. */
function linkRequest<Credential>(url: URL, baseUrl: URL, api: RestApi<Credential>): AuthRequest {
  if (url.origin !== baseUrl.origin) {
    throw new ConnectorError({
      code: 'E_UPSTREAM',
      message: `${api.connector}: the next page is on ${url.origin}, not on the API's origin ${baseUrl.origin}; it was not followed.`,
      retryable: false,
      hint: 'The service answered a next-page link to another host; fetch fewer items (a smaller limit) or report it.',
    });
  }
  return { method: 'GET', url, headers: baseHeaders(api), body: undefined };
}

async function sendSigned(
  unsigned: AuthRequest,
  auth: BoundAuth | undefined,
  env: ConnectorEnvironment,
  signal: AbortSignal,
  stream: ReadableStream<Uint8Array> | undefined,
): Promise<Response> {
  const authContext = { fetch: env.fetch, signal, now: new Date(), tokens: env.tokens };
  const send = (signed: AuthRequest) => {
    const init: SafeRequestInit & { duplex?: 'half' } = {
      method: signed.method,
      headers: signed.headers,
      body: stream ?? signed.body,
      ...(stream ? { duplex: 'half' as const } : {}),
      signal,
      credentialHeaders: changedHeaderNames(unsigned.headers, signed.headers),
    };
    return env.fetch(signed.url, init);
  };
  const sent = auth ? await auth.apply(unsigned, authContext) : unsigned;
  let response: Response;
  try {
    response = await send(sent);
  } catch (error) {
    await stream?.cancel().catch(() => {});
    throw error;
  }
  // An oauth2 token the API refuses is renewed once (another worker may have renewed it already); a streamed
  // body is gone by then, so that 401 stands and the step's retry sends it again with the renewed token.
  if (response.status !== 401 || !auth?.renew || stream) return response;
  const again = await auth.renew(unsigned, sent, authContext);
  if (!again) return response;
  await response.body?.cancel();
  return send(again);
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.length === 0) return null;
  const type = response.headers.get('content-type') ?? '';
  if (/[/+]json\b/i.test(type) || /^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function vendorFailure<Credential>(
  api: RestApi<Credential>,
  response: Response,
  body: unknown,
  label: string,
): ConnectorError {
  const vendor = api.vendorError?.(body, response.status, response.headers);
  const snippet = (typeof body === 'string' ? body : JSON.stringify(body ?? '')).slice(0, MAX_ERROR_SNIPPET);
  const hint = vendor?.hint ?? api.hints?.[response.status];
  return connectorErrorFromStatus({
    connector: api.connector,
    status: response.status,
    message: `${label} failed: ${vendor?.message ?? snippet}`,
    headers: response.headers,
    ...(hint ? { hint } : {}),
    details: vendor?.vendorCode ? { vendorCode: vendor.vendorCode } : {},
    ...(vendor?.retryable === undefined ? {} : { retryable: vendor.retryable }),
    ...(vendor?.code === undefined ? {} : { code: vendor.code }),
    ...(vendor?.retryAfterMs === undefined ? {} : { retryAfterMs: vendor.retryAfterMs }),
  });
}
