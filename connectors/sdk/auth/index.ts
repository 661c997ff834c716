import type { AuthStyle } from './auth-style.ts';
import { awsSigV4Style } from './aws-sigv4.ts';
import { googleServiceAccountStyle } from './google-service-account.ts';
import { apiKeyHeaderStyle, basicStyle, bearerStyle } from './header-styles.ts';
import { oauth2Style } from './oauth2.ts';
import { oauth2ClientCredentialsStyle } from './oauth2-client-credentials.ts';
import { apiKeyQueryStyle, urlTokenStyle } from './url-styles.ts';

export * from './auth-style.ts';
export { AwsSigV4Credential, awsSigV4Style, signSigV4 } from './aws-sigv4.ts';
export {
  GoogleServiceAccount,
  googleServiceAccountStyle,
  serviceAccountAssertion,
} from './google-service-account.ts';
export { apiKeyHeaderStyle, basicStyle, bearerStyle } from './header-styles.ts';
export {
  exchangeOAuth2Code,
  needsOAuth2Reconnect,
  OAUTH2_EXPIRY_MARGIN_MS,
  OAuth2Config,
  OAuth2Credential,
  OAuth2ProviderId,
  type OAuth2TokenSource,
  oauth2Style,
  oauth2TokenStale,
  RECONNECT_CODE,
  refreshOAuth2Tokens,
} from './oauth2.ts';
export {
  type OAuth2App,
  oauth2AppMissing,
  oauth2EnvName,
  parseOAuth2Apps,
} from './oauth2-apps.ts';
export { OAuth2ClientCredentials, oauth2ClientCredentialsStyle } from './oauth2-client-credentials.ts';
export {
  defineOAuth2Provider,
  type OAuth2Provider,
  oauth2ProviderForUrl,
  refusedAnswer,
} from './oauth2-provider.ts';
export { clearTokenCache, type TokenEndpointAnswer } from './token-endpoint.ts';
export { apiKeyQueryStyle, hasTokenPlaceholder, URL_TOKEN_PLACEHOLDER, urlTokenStyle } from './url-styles.ts';

/** Every auth style, each its own credential type. */
export const AUTH_STYLES: readonly AuthStyle[] = [
  apiKeyHeaderStyle,
  bearerStyle,
  basicStyle,
  apiKeyQueryStyle,
  urlTokenStyle,
  oauth2ClientCredentialsStyle,
  oauth2Style,
  googleServiceAccountStyle,
  awsSigV4Style,
];

export function authStyleOf(type: string): AuthStyle | undefined {
  return AUTH_STYLES.find((style) => style.type === type);
}
