import { type OAuth2Credential, type OAuth2TokenSource, refreshOAuth2Tokens } from '../sdk/auth/oauth2.ts';
import { googleOAuthProvider } from './oauth-provider.ts';

/**
 * What the engine's token source does for one stored oauth2 credential, in memory (connector tests): renews with
 * the refresh token by the `google` preset's rules, unless another caller already did.
 */
export function memoryTokenSource(
  initial: OAuth2Credential,
): OAuth2TokenSource & { current(): OAuth2Credential } {
  let credential = initial;
  return {
    current: () => credential,
    async refresh(seen) {
      if (credential.accessToken !== seen) return { accessToken: credential.accessToken };
      credential = await refreshOAuth2Tokens(
        credential,
        { fetch: globalThis.fetch, signal: AbortSignal.timeout(10_000), now: new Date() },
        googleOAuthProvider,
      );
      return { accessToken: credential.accessToken };
    },
  };
}
