import { z } from 'zod';
import { type AuthRequest, changedHeaderNames } from '../sdk/auth/auth-style.ts';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient } from '../sdk/rest/index.ts';
import type { SafeRequestInit } from '../sdk/safe-fetch.ts';
import { type GoogleAuth, type GoogleProduct, googleAuthOf } from './credential.ts';
import { GOOGLE_RATE_LIMIT_REASONS, googleVendorError } from './errors.ts';

/** Where Google answers what an access token may do; `env.baseUrls['google-oauth']` points it at a fake. */
export const GOOGLE_OAUTH_URL = 'https://oauth2.googleapis.com';

/** A Google API's REST client, with the credential it was made with (to explain errors and check scopes). */
export type GoogleClient = RestClient & {
  readonly auth: GoogleAuth | undefined;
  /** testCredential: an access token as a step gets it, and what Google's tokeninfo says it may do. */
  testCredential(signal: AbortSignal): Promise<string>;
  /**
   * A GET whose answer is streamed (a file's bytes), not parsed: the open 2xx response. Google's errors are mapped
   * as `send` maps them; an expired oauth2 token is renewed once.
   */
  download(path: string, query: Record<string, string>, signal: AbortSignal): Promise<Response>;
};

/** A download may take longer than an API call; the step's own timeout still applies. */
const DOWNLOAD_TIMEOUT_MS = 300_000;
const MAX_ERROR_BYTES = 64 * 1024;

/** One Google API: the product (connector, API name, scopes), where it is, hints by status for what is not auth. */
export type GoogleApiSpec = GoogleProduct & {
  baseUrl: string;
  hints?: Readonly<Partial<Record<number, string>>>;
};

function restApiOf(spec: GoogleApiSpec, auth: GoogleAuth | undefined): RestApi<GoogleAuth> {
  return {
    connector: spec.connector,
    baseUrl: spec.baseUrl,
    auth: (credential) => credential.bound,
    vendorError: (body, status) => googleVendorError(body, status, auth, spec),
    ...(spec.hints ? { hints: spec.hints } : {}),
  };
}

/** Google answers some quotas with 403 (Drive's userRateLimitExceeded): those are rate limits, not refusals. */
function asRateLimit(error: unknown): unknown {
  if (!(error instanceof ConnectorError) || error.status !== 403) return error;
  const vendorCode = error.details?.vendorCode;
  if (typeof vendorCode !== 'string' || !GOOGLE_RATE_LIMIT_REASONS.has(vendorCode)) return error;
  return new ConnectorError({
    code: 'E_RATE_LIMITED',
    message: error.message,
    retryable: true,
    status: 403,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.hint ? { hint: error.hint } : {}),
    details: { vendorCode },
  });
}

/** createClient of a Google connector: the raw or parsed credential becomes the bound auth of its kind. */
export function createGoogleClient(
  spec: GoogleApiSpec,
  options: { credential: unknown; env: ConnectorEnvironment },
): GoogleClient {
  const auth = options.credential === undefined ? undefined : googleAuthOf(options.credential, spec);
  const rest = createRestClient(restApiOf(spec, auth), { credential: auth, env: options.env });
  return {
    connector: rest.connector,
    baseUrl: rest.baseUrl,
    auth,
    testCredential: (signal) =>
      testGoogleCredential(spec, { credential: options.credential, env: options.env, signal }),
    async send(request, signal) {
      try {
        return await rest.send(request, signal);
      } catch (error) {
        throw asRateLimit(error);
      }
    },
    async download(path, query, signal) {
      const url = new URL(path.replace(/^\/+/, ''), rest.baseUrl);
      if (url.origin !== rest.baseUrl.origin)
        throw new Error(`The path ${path} leaves ${rest.baseUrl.origin}.`);
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
      const unsigned: AuthRequest = { method: 'GET', url, headers: new Headers(), body: undefined };
      const ctx = { fetch: options.env.fetch, signal, now: new Date(), tokens: options.env.tokens };
      const open = (signed: AuthRequest) => {
        const init: SafeRequestInit = {
          method: 'GET',
          headers: signed.headers,
          redirect: 'manual',
          signal,
          timeoutMs: DOWNLOAD_TIMEOUT_MS,
          // The run's file store caps what is written; the bytes are streamed into it.
          maxResponseBytes: Number.MAX_SAFE_INTEGER,
          credentialHeaders: changedHeaderNames(unsigned.headers, signed.headers),
        };
        return options.env.fetch(signed.url, init);
      };
      const sent = auth ? await auth.bound.apply(unsigned, ctx) : unsigned;
      let response = await open(sent);
      if (response.status === 401 && auth?.bound.renew) {
        const again = await auth.bound.renew(unsigned, sent, ctx);
        if (again) {
          await response.body?.cancel().catch(() => {});
          response = await open(again);
        }
      }
      if (response.status >= 200 && response.status < 300) return response;
      const text = (await response.text()).slice(0, MAX_ERROR_BYTES);
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      const vendor = googleVendorError(body, response.status, auth, spec);
      throw asRateLimit(
        connectorErrorFromStatus({
          connector: spec.connector,
          status: response.status,
          message: `GET ${url.pathname} failed: ${vendor?.message ?? text.slice(0, 300)}`,
          headers: response.headers,
          ...((vendor?.hint ?? spec.hints?.[response.status])
            ? { hint: vendor?.hint ?? spec.hints?.[response.status] }
            : {}),
          details: vendor?.vendorCode ? { vendorCode: vendor.vendorCode } : {},
          ...(vendor?.retryable === undefined ? {} : { retryable: vendor.retryable }),
          ...(vendor?.retryAfterMs === undefined ? {} : { retryAfterMs: vendor.retryAfterMs }),
        }),
      );
    },
  };
}

const TokenInfo = z.object({
  scope: z.string().max(10_000).default(''),
  email: z.string().max(320).optional(),
  expires_in: z.coerce.number().optional(),
});

/**
 * testCredential of a Google connector: gets an access token the way a step does (renewed or signed), asks Google's
 * tokeninfo what it may do, and fails with the missing scopes when a needed one was not granted.
 */
export async function testGoogleCredential(
  spec: GoogleApiSpec,
  options: { credential: unknown; env: ConnectorEnvironment; signal: AbortSignal },
): Promise<string> {
  const auth = googleAuthOf(options.credential, spec);
  const base = options.env.baseUrls['google-oauth'] ?? GOOGLE_OAUTH_URL;
  const unsigned = {
    method: 'POST',
    url: new URL('/tokeninfo', base),
    headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }),
    body: undefined,
  };
  const ctx = {
    fetch: options.env.fetch,
    signal: options.signal,
    now: new Date(),
    tokens: options.env.tokens,
  };
  const signed = await auth.bound.apply(unsigned, ctx);
  const init: SafeRequestInit = {
    method: 'POST',
    headers: signed.headers,
    signal: options.signal,
    credentialHeaders: changedHeaderNames(unsigned.headers, signed.headers),
  };
  const response = await options.env.fetch(signed.url, init);
  const text = await response.text();
  if (!response.ok) {
    throw connectorErrorFromStatus({
      connector: spec.connector,
      status: response.status === 400 ? 401 : response.status,
      message: 'Google tokeninfo refused the access token',
      headers: response.headers,
      hint: googleVendorError({ error: { code: 401 } }, 401, auth, spec)?.hint ?? '',
    });
  }
  const info = TokenInfo.parse(JSON.parse(text));
  const granted = new Set(info.scope.split(/\s+/).filter(Boolean));
  const who =
    auth.kind === 'service-account' ? auth.credential.client_email : (info.email ?? 'the connected account');
  const enough = [...spec.scopes, ...(spec.acceptedScopes ?? [])].filter((scope) => granted.has(scope));
  if (enough.length === 0) {
    throw new ConnectorError({
      code: 'E_AUTH',
      message: `${spec.connector}: Google accepts the credential of ${who}, but it was granted none of the scopes ${spec.scopes.join(', ')}.`,
      retryable: false,
      hint:
        googleVendorError(
          { error: { code: 403, errors: [{ reason: 'insufficientPermissions' }] } },
          403,
          auth,
          spec,
        )?.hint ?? '',
    });
  }
  return `Google accepts it: ${who}, with ${enough.join(', ')}.`;
}
