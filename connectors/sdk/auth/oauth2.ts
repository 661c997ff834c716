import { z } from 'zod';
import { registerSecret } from '../../../lib/index.ts';
import { ConnectorError } from '../connector-error.ts';
import { authorizationWireSecrets, basicAuthWireSecrets } from '../credential-secrets.ts';
import type { AuthContext, AuthRequest } from './auth-style.ts';
import { defineAuthStyle } from './auth-style.ts';
import type { OAuth2Provider } from './oauth2-provider.ts';
import { missingAccessToken, postTokenForm, tokenEndpointFailure } from './token-endpoint.ts';

/** An access token is renewed when it expires within this long. */
export const OAUTH2_EXPIRY_MARGIN_MS = 60_000;

/** The id of an OAuth2 provider preset (`google`, `slack`…). */
export const OAuth2ProviderId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower case letters, digits and -');

/** What a person gives to connect (`vmesh credentials connect NAME --type oauth2 …`): the app registered at the provider. */
export const OAuth2Config = z.strictObject({
  authorizeUrl: z.url({ protocol: /^https?$/ }).describe('The OAuth2 authorization endpoint.'),
  tokenUrl: z.url({ protocol: /^https?$/ }).describe('The OAuth2 token endpoint.'),
  clientId: z.string().min(1).describe('The client id.'),
  clientSecret: z.string().min(1).describe('The client secret.'),
  scopes: z.array(z.string().min(1)).optional().describe('Scopes to ask for (sent space-separated).'),
  provider: OAuth2ProviderId.optional().describe(
    'The OAuth2 provider preset it was connected with (its token-endpoint quirks apply to every refresh).',
  ),
});
export type OAuth2Config = z.output<typeof OAuth2Config>;

/** A connected oauth2 credential: the app and the tokens the provider issued. */
export const OAuth2Credential = z.strictObject({
  ...OAuth2Config.shape,
  accessToken: z.string().min(1).describe('The access token (set by connecting).'),
  refreshToken: z.string().min(1).optional().describe('The refresh token, when the provider issued one.'),
  expiresAt: z.iso.datetime({ offset: true }).optional().describe('When the access token expires.'),
  instanceUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      "The API base URL the provider's token answer named (Salesforce's instance_url), when it names one.",
    ),
});
export type OAuth2Credential = z.output<typeof OAuth2Credential>;

/**
 * Renews the access token of the step's oauth2 credential; injected by the engine, which serializes renewals of
 * one credential across workers. `seen` is the access token the caller has: when the stored one differs and is
 * still fresh, another worker renewed it and that one is returned without asking the provider.
 */
export type OAuth2TokenSource = { refresh(seen: string): Promise<{ accessToken: string }> };

const TokenAnswer = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.coerce.number().positive().optional(),
  /** Salesforce names the org's API host in every token answer. */
  instance_url: z.url({ protocol: /^https?$/ }).optional(),
});
const TokenError = z.object({
  error: z.string().transform((code) => code.slice(0, 100)),
  error_description: z.string().optional(),
});

/** RFC 6749 §2.3.1: the client id and secret are form-encoded before they are joined for Basic. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/** The provider refused the grant (revoked, expired refresh token): only connecting again helps. */
export const RECONNECT_CODE = 'E_CREDENTIAL_RECONNECT';

export function needsOAuth2Reconnect(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError && error.code === RECONNECT_CODE;
}

/**
 * POSTs a grant to the token endpoint (client auth basic, unless the provider says otherwise) and returns the
 * credential with the new tokens. The provider's `readTokenAnswer` maps its quirks to RFC 6749 first.
 */
async function tokenGrant(
  config: OAuth2Config,
  form: URLSearchParams,
  ctx: Pick<AuthContext, 'fetch' | 'signal' | 'now'>,
  previousRefreshToken: string | undefined,
  what: string,
  provider: OAuth2Provider | undefined,
): Promise<OAuth2Credential> {
  const headers: Record<string, string> = {};
  if (provider?.clientAuth === 'client_secret_post') {
    form.set('client_id', config.clientId);
    form.set('client_secret', config.clientSecret);
  } else {
    const pair = `${formEncode(config.clientId)}:${formEncode(config.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  const raw = await postTokenForm(
    { tokenUrl: config.tokenUrl, form, headers, body: provider?.tokenRequestBody ?? 'form' },
    ctx,
  );
  const answer = provider?.readTokenAnswer ? provider.readTokenAnswer(raw) : raw;
  if (!answer.ok) {
    const failure = TokenError.safeParse(answer.json);
    if (failure.success && failure.data.error === 'invalid_grant') {
      throw new ConnectorError({
        code: RECONNECT_CODE,
        message: `The token endpoint ${answer.host} refused the ${what} (invalid_grant).`,
        retryable: false,
        hint: 'Connect the credential again.',
        status: answer.status,
      });
    }
    throw tokenEndpointFailure(
      answer,
      what,
      failure.success ? failure.data.error : `HTTP ${answer.status}`,
      'Check the client id and secret and the token URL of the credential.',
    );
  }
  const parsed = TokenAnswer.safeParse(answer.json);
  if (!parsed.success) throw missingAccessToken(answer, what);
  registerSecret(parsed.data.access_token);
  if (parsed.data.refresh_token) registerSecret(parsed.data.refresh_token);
  const refreshToken = parsed.data.refresh_token ?? previousRefreshToken;
  return {
    ...config,
    accessToken: parsed.data.access_token,
    ...(refreshToken ? { refreshToken } : {}),
    ...(parsed.data.expires_in
      ? { expiresAt: new Date(ctx.now.getTime() + parsed.data.expires_in * 1000).toISOString() }
      : {}),
    ...(parsed.data.instance_url ? { instanceUrl: parsed.data.instance_url } : {}),
  };
}

/** Trades an authorization code (with its PKCE verifier) for tokens; `provider`: the preset it was connected with. */
export function exchangeOAuth2Code(
  config: OAuth2Config,
  grant: { code: string; verifier: string; redirectUri: string },
  ctx: Pick<AuthContext, 'fetch' | 'signal' | 'now'>,
  provider?: OAuth2Provider,
): Promise<OAuth2Credential> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: grant.code,
    redirect_uri: grant.redirectUri,
    code_verifier: grant.verifier,
  });
  return tokenGrant(config, form, ctx, undefined, 'authorization code', provider);
}

/**
 * Uses the refresh token; a rotated refresh token comes back in the result (the old one is kept otherwise).
 * `provider`: the preset the credential names (`credential.provider`), whose quirks apply.
 */
export function refreshOAuth2Tokens(
  credential: OAuth2Credential,
  ctx: Pick<AuthContext, 'fetch' | 'signal' | 'now'>,
  provider?: OAuth2Provider,
): Promise<OAuth2Credential> {
  if (!credential.refreshToken) {
    throw new ConnectorError({
      code: RECONNECT_CODE,
      message: 'The access token expired and the provider issued no refresh token.',
      retryable: false,
      hint: 'Connect the credential again (ask for offline access if the provider needs it).',
    });
  }
  const { accessToken: _access, refreshToken, expiresAt: _expires, ...config } = credential;
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
  return tokenGrant(config, form, ctx, refreshToken, 'refresh token grant', provider);
}

/** True when the access token is past, or within the margin of, its expiry. */
export function oauth2TokenStale(credential: OAuth2Credential, now: Date): boolean {
  if (!credential.expiresAt) return false;
  return Date.parse(credential.expiresAt) - now.getTime() <= OAUTH2_EXPIRY_MARGIN_MS;
}

function withBearer(request: AuthRequest, token: string): AuthRequest {
  const headers = new Headers(request.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...request, headers };
}

function tokenSourceOf(ctx: AuthContext): OAuth2TokenSource {
  if (ctx.tokens) return ctx.tokens;
  throw new ConnectorError({
    code: RECONNECT_CODE,
    message: 'The oauth2 access token must be renewed, and nothing here can renew it.',
    retryable: false,
    hint: 'Run the step through the engine, or connect the credential again.',
  });
}

export const oauth2Style = defineAuthStyle({
  type: 'oauth2',
  title: 'OAuth2 (authorization code)',
  schema: OAuth2Credential,
  howToGet:
    'Connect it with a link: `vmesh credentials connect NAME --type oauth2 --provider ID` for a built-in provider (google, microsoft, github, slack, hubspot, notion, pipedrive, salesforce, dropbox, linear, x; the README lists them; the app from VMESH_OAUTH_<ID>_CLIENT_ID/_CLIENT_SECRET), or `vmesh credentials connect NAME --type oauth2 --authorize-url URL --token-url URL --client-id ID --client-secret SECRET [--scopes "a b"]`, open the link and allow access at the provider. Register `<VMESH_PUBLIC_URL>/oauth/callback` as the redirect URL of the app.',
  publicFields: ['authorizeUrl', 'tokenUrl', 'clientId', 'scopes', 'provider', 'expiresAt', 'instanceUrl'],
  wireSecrets: (credential) => [
    ...authorizationWireSecrets(credential.accessToken, ['Bearer']),
    ...basicAuthWireSecrets(formEncode(credential.clientId), formEncode(credential.clientSecret)),
    formEncode(credential.clientSecret),
    ...(credential.refreshToken ? [formEncode(credential.refreshToken)] : []),
  ],
  async apply(request, credential, ctx) {
    const token = oauth2TokenStale(credential, ctx.now)
      ? (await tokenSourceOf(ctx).refresh(credential.accessToken)).accessToken
      : credential.accessToken;
    return withBearer(request, token);
  },
  async renew(request, sent, _credential, ctx) {
    const used = sent.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
    const fresh = await tokenSourceOf(ctx).refresh(used);
    return fresh.accessToken === used ? undefined : withBearer(request, fresh.accessToken);
  },
});
