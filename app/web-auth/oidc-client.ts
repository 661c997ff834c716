import * as client from 'openid-client';
import type { OidcConfig } from './web-auth-config.ts';

/** What an OpenID provider said about the person, after every check of openid-client passed. */
export type OidcIdentity = {
  /** The identity's subject in user_identities: `ISSUER|SUB`. */
  subject: string;
  email: string | undefined;
  /** True only when the provider says so (`email_verified: true`). */
  emailVerified: boolean;
  /** preferred_username, else the email's local part, else the name, for naming a new user. */
  suggestedName: string | undefined;
};

export type OidcChecks = { state: string; nonce: string; codeVerifier: string };

const DISCOVERY_TIMEOUT_S = 10;

export type OidcClient = {
  /** An authorization request (code flow, PKCE S256, state and nonce) and the checks its answer must pass. */
  begin(): Promise<{ url: URL; checks: OidcChecks }>;
  /** Validates the callback (state, issuer, code via the token endpoint, ID token signature, nonce, audience). */
  finish(callbackQuery: string, checks: OidcChecks): Promise<OidcIdentity>;
};

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** The provider's metadata is discovered on first use (and again after a failure), not at start. */
export function createOidcClient(config: OidcConfig): OidcClient {
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    discovered ??= client
      .discovery(config.issuer, config.clientId, undefined, client.ClientSecretBasic(config.clientSecret), {
        timeout: DISCOVERY_TIMEOUT_S,
        ...(config.allowInsecure ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  };

  return {
    async begin() {
      const server = await configuration();
      const checks = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
      };
      const url = client.buildAuthorizationUrl(server, {
        redirect_uri: config.redirectUri,
        scope: config.scopes,
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
        state: checks.state,
        nonce: checks.nonce,
      });
      return { url, checks };
    },

    async finish(callbackQuery, checks) {
      const server = await configuration();
      const current = new URL(config.redirectUri);
      current.search = callbackQuery;
      const tokens = await client.authorizationCodeGrant(server, current, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('The provider answered without an ID token.');
      let profile: Record<string, unknown> = { ...claims };
      // Many providers put email and names only in the userinfo answer; its subject must be the ID token's.
      if (server.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(server, tokens.access_token, claims.sub);
        profile = { ...info, ...claims };
      }
      const email = text(profile.email)?.toLowerCase();
      return {
        subject: `${claims.iss}|${claims.sub}`,
        email,
        emailVerified: profile.email_verified === true,
        suggestedName: text(profile.preferred_username) ?? email?.split('@')[0] ?? text(profile.name),
      };
    },
  };
}
