import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export type AuthorizationCodeServer = {
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** How many refresh_token grants the token endpoint answered (each a refresh request). */
  refreshGrants(): number;
  /** Whether the provider takes `token` (an access token) as active: what a resource server asks. */
  introspect(token: string): Promise<{ active: boolean; sub?: string; client_id?: string }>;
  /** Tries a refresh token at the token endpoint: its HTTP status and error. */
  tryRefresh(refreshToken: string): Promise<{ status: number; error?: string }>;
  /** Revokes a token at the provider (RFC 7009). */
  revoke(token: string): Promise<void>;
  close(): Promise<void>;
};

/**
 * A real OAuth2/OpenID provider (panva's oidc-provider) on a free loopback port with one confidential client
 * for the authorization code grant (client auth Basic, or the secret in the form): PKCE required, refresh tokens for `offline_access` (with prompt=consent),
 * rotated on every use; introspection and revocation on. Its login and consent finish at once as `accountId`.
 */
export async function startAuthorizationCodeServer(options: {
  redirectUri: string;
  accountId?: string;
  accessTokenTtlSeconds?: number;
  /** How the client must authenticate at the token endpoint (default client_secret_basic). */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}): Promise<AuthorizationCodeServer> {
  const authMethod = options.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'vmesh-connect';
  const clientSecret = `connect-secret-${Math.random().toString(36).slice(2)}-0123456789`;
  const accountId = options.accountId ?? 'person-1';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'connect-key', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: authMethod,
      },
    ],
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: options.accessTokenTtlSeconds ?? 600,
      IdToken: 600,
      AuthorizationCode: 60,
      RefreshToken: 3600,
    },
    cookies: { keys: ['connect-cookie-key-0123456789'] },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  });
  provider.on('server_error', () => {});
  let refreshes = 0;
  provider.on('grant.success', (ctx: unknown) => {
    const grantType = (ctx as { oidc?: { params?: { grant_type?: unknown } } }).oidc?.params?.grant_type;
    if (grantType === 'refresh_token') refreshes += 1;
  });
  const handle = provider.callback();
  server.on('request', (request, response) => {
    if (!request.url?.startsWith('/interaction/')) {
      handle(request, response);
      return;
    }
    void (async () => {
      const details = await provider.interactionDetails(request, response);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(
          request,
          response,
          { login: { accountId } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const grant =
        (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
        new provider.Grant({
          accountId: details.session?.accountId ?? accountId,
          clientId: details.params.client_id,
        });
      if (details.prompt.details.missingOIDCScope)
        grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
      if (details.prompt.details.missingOIDCClaims)
        grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(
        request,
        response,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    })().catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const post = (path: string, form: Record<string, string>) =>
    fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: {
        ...(authMethod === 'client_secret_basic' ? { authorization: basic } : {}),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(
        authMethod === 'client_secret_post'
          ? { ...form, client_id: clientId, client_secret: clientSecret }
          : form,
      ).toString(),
    });
  return {
    issuer,
    authorizeUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    clientId,
    clientSecret,
    refreshGrants: () => refreshes,
    async introspect(token) {
      return (await (await post('/token/introspection', { token })).json()) as {
        active: boolean;
        sub?: string;
      };
    },
    async tryRefresh(refreshToken) {
      const response = await post('/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
      const body = (await response.json()) as { error?: string };
      return { status: response.status, ...(body.error ? { error: body.error } : {}) };
    },
    async revoke(token) {
      await post('/token/revocation', { token });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
