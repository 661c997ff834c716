import { createHash } from 'node:crypto';
import { z } from 'zod';
import { registerSecret } from '../../../lib/index.ts';
import { ConnectorError } from '../connector-error.ts';
import type { AuthContext } from './auth-style.ts';

/** Tokens are renewed this long before the endpoint said they expire. */
const EXPIRY_MARGIN_MS = 60_000;
/** How long a token is kept when the endpoint gives no `expires_in`. */
const DEFAULT_LIFETIME_MS = 300_000;

const TokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});
const TokenError = z.object({
  error: z.string().transform((code) => code.slice(0, 100)),
  error_description: z.string().optional(),
});

type Cached = { token: string; expiresAt: number };

/**
 * Access tokens fetched from token endpoints, kept in memory per process until shortly before they expire (a
 * worker that restarts fetches new ones). Keyed by a hash of everything that identifies the grant, secret included,
 * so a changed credential gets its own token.
 */
const cache = new Map<string, Cached>();
const pending = new Map<string, Promise<Cached>>();

export function tokenCacheKey(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Forgets every cached token (tests). */
export function clearTokenCache(): void {
  cache.clear();
  pending.clear();
}

/** A token request: `sends` are secrets the form carries besides the credential's own fields (a signed assertion). */
type TokenRequest = {
  tokenUrl: string;
  form: URLSearchParams;
  headers?: Record<string, string>;
  sends?: readonly string[];
  what: string;
};

/**
 * A cached access token, or a new one from POSTing `form` to `tokenUrl` through the guarded fetch. The token, and
 * what the request `sends`, are registered with the redactor before anything else sees them.
 */
export async function accessToken(key: string, request: TokenRequest, ctx: AuthContext): Promise<string> {
  const cached = cache.get(key);
  if (cached && cached.expiresAt > ctx.now.getTime()) return cached.token;
  let inFlight = pending.get(key);
  if (!inFlight) {
    inFlight = fetchToken(request, ctx).finally(() => pending.delete(key));
    pending.set(key, inFlight);
  }
  const fresh = await inFlight;
  cache.set(key, fresh);
  return fresh.token;
}

/** The answer of a token endpoint to a POSTed form: its status and its body read as JSON (undefined if not JSON). */
export type TokenEndpointAnswer = { host: string; ok: boolean; status: number; json: unknown };

/**
 * POSTs `form` to a token endpoint through the guarded fetch (never following a redirect) and reads the answer:
 * JSON, or a form-encoded body (GitHub's default when it is not asked for JSON). `body: 'json'` sends the form's
 * fields as a JSON object instead.
 */
export async function postTokenForm(
  request: {
    tokenUrl: string;
    form: URLSearchParams;
    headers?: Record<string, string>;
    body?: 'form' | 'json';
  },
  ctx: Pick<AuthContext, 'fetch' | 'signal'>,
): Promise<TokenEndpointAnswer> {
  const asJson = request.body === 'json';
  const response = await ctx.fetch(request.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': asJson ? 'application/json' : 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...request.headers,
    },
    body: asJson ? JSON.stringify(Object.fromEntries(request.form)) : request.form.toString(),
    redirect: 'error',
    signal: ctx.signal,
  });
  const text = await response.text();
  let json: unknown;
  if (/application\/x-www-form-urlencoded/i.test(response.headers.get('content-type') ?? '')) {
    json = Object.fromEntries(new URLSearchParams(text));
  } else {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { host: new URL(request.tokenUrl).origin, ok: response.ok, status: response.status, json };
}

/** A refusal or failure of a token endpoint: 400/401/403 need a change to the credential, 429/5xx are retried. */
export function tokenEndpointFailure(
  answer: TokenEndpointAnswer,
  what: string,
  said: string,
  refusedHint: string,
): ConnectorError {
  const refused = answer.status === 400 || answer.status === 401 || answer.status === 403;
  return new ConnectorError({
    code: refused ? 'E_AUTH' : 'E_UPSTREAM',
    message: `The token endpoint ${answer.host} refused the ${what} (${said}).`,
    retryable: answer.status === 429 || answer.status >= 500,
    hint: refused ? refusedHint : 'The token endpoint failed; the step is retried.',
    status: answer.status,
  });
}

/** A 2xx answer that holds no access token. */
export function missingAccessToken(answer: TokenEndpointAnswer, what: string): ConnectorError {
  return new ConnectorError({
    code: 'E_AUTH',
    message: `The token endpoint ${answer.host} answered the ${what} without an access_token.`,
    retryable: false,
    hint: 'Check the token URL: it must be the OAuth2 token endpoint, answering JSON.',
  });
}

async function fetchToken(request: TokenRequest, ctx: AuthContext): Promise<Cached> {
  for (const secret of request.sends ?? []) registerSecret(secret);
  const answer = await postTokenForm(request, ctx);
  if (!answer.ok) {
    const failure = TokenError.safeParse(answer.json);
    const said = failure.success
      ? `${failure.data.error}${failure.data.error_description ? `: ${failure.data.error_description.slice(0, 200)}` : ''}`
      : `HTTP ${answer.status}`;
    throw tokenEndpointFailure(
      answer,
      request.what,
      said,
      'Check the credential: client id and secret (or key), token URL and scopes.',
    );
  }
  const parsed = TokenResponse.safeParse(answer.json);
  if (!parsed.success) throw missingAccessToken(answer, request.what);
  registerSecret(parsed.data.access_token);
  const lifetime = parsed.data.expires_in ? parsed.data.expires_in * 1000 : DEFAULT_LIFETIME_MS;
  return {
    token: parsed.data.access_token,
    expiresAt: ctx.now.getTime() + Math.max(0, lifetime - EXPIRY_MARGIN_MS),
  };
}
