import type { AuthStyle } from './auth-style.ts';
import { awsSigV4Style } from './aws-sigv4.ts';
import { googleServiceAccountStyle } from './google-service-account.ts';
import { apiKeyHeaderStyle, basicStyle, bearerStyle } from './header-styles.ts';
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
export { OAuth2ClientCredentials, oauth2ClientCredentialsStyle } from './oauth2-client-credentials.ts';
export { clearTokenCache } from './token-endpoint.ts';
export { apiKeyQueryStyle, hasTokenPlaceholder, URL_TOKEN_PLACEHOLDER, urlTokenStyle } from './url-styles.ts';

/**
 * Every auth style, each its own credential type. An `oauth2` (authorization code) style joins this list as one
 * more declaration whose `apply` asks a token source for a fresh access token.
 */
export const AUTH_STYLES: readonly AuthStyle[] = [
  apiKeyHeaderStyle,
  bearerStyle,
  basicStyle,
  apiKeyQueryStyle,
  urlTokenStyle,
  oauth2ClientCredentialsStyle,
  googleServiceAccountStyle,
  awsSigV4Style,
];

export function authStyleOf(type: string): AuthStyle | undefined {
  return AUTH_STYLES.find((style) => style.type === type);
}
