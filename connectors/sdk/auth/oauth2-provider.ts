import type { TokenEndpointAnswer } from './token-endpoint.ts';

/**
 * An OAuth2 provider a connector knows (Google, Slack, GitHub…): where its endpoints are, what to ask for and how
 * its token endpoint differs from RFC 6749. `vmesh credentials connect NAME --type oauth2 --provider ID` needs no
 * URLs; the installation's app (client id and secret) comes from VMESH_OAUTH_<ID>_CLIENT_ID / _CLIENT_SECRET.
 */
export type OAuth2Provider = {
  /** Lower case letters, digits and `-`; the env names use it upper-cased (`-` → `_`). */
  id: string;
  title: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** Asked for unless the person names other scopes. */
  scopes: readonly string[];
  /** How the scopes are joined in the authorize URL (Slack: `,`). Default a space. */
  scopeSeparator?: string;
  /** Added to the authorize URL (Google: access_type=offline, prompt=consent). */
  authorizeParams?: Readonly<Record<string, string>>;
  /** How the client authenticates at the token endpoint. Default `client_secret_basic`. */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  /** How the grant is sent. Default `form` (RFC 6749); Notion documents a JSON body. */
  tokenRequestBody?: 'form' | 'json';
  /** Where a person registers the app (and the redirect URL). */
  docsUrl: string;
  /** The hosts of the provider's APIs (`*.` for any subdomain): a request there is made with this provider's app. */
  apiHosts?: readonly string[];
  /** Said in the README table and the CLI (e.g. that tokens never expire). */
  notes?: string;
  /**
   * Rewrites the token endpoint's answer into what RFC 6749 §5.1/§5.2 says it should have been: an error sent
   * with HTTP 200 becomes a 400 with `error` (`invalid_grant` when only connecting again helps), tokens kept
   * elsewhere in the body move to `access_token` / `refresh_token` / `expires_in`.
   */
  readTokenAnswer?(answer: TokenEndpointAnswer): TokenEndpointAnswer;
};

export function defineOAuth2Provider(provider: OAuth2Provider): OAuth2Provider {
  return provider;
}

/** The provider whose API `url` is on, or undefined (an unparsable URL, or a host no provider names). */
export function oauth2ProviderForUrl(
  providers: readonly OAuth2Provider[],
  url: string,
): OAuth2Provider | undefined {
  const host = URL.parse(url)?.hostname.toLowerCase();
  if (!host) return undefined;
  return providers.find((provider) =>
    (provider.apiHosts ?? []).some((pattern) =>
      pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern,
    ),
  );
}

/** An answer that says the grant was refused with an RFC 6749 §5.2 error code. */
export function refusedAnswer(
  answer: TokenEndpointAnswer,
  error: string,
  description: string | undefined,
): TokenEndpointAnswer {
  const status =
    error === 'rate_limited' ? 429 : !answer.ok ? answer.status : error === 'invalid_client' ? 401 : 400;
  return {
    ...answer,
    ok: false,
    status,
    json: { error, ...(description ? { error_description: description } : {}) },
  };
}
