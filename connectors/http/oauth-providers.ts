import { microsoftOAuthProvider } from '../microsoft/oauth-provider.ts';
import { defineOAuth2Provider } from '../sdk/auth/oauth2-provider.ts';

/** Declared by the outlook connector; re-exported here so older imports keep working. */
export { microsoftOAuthProvider };

/**
 * OAuth2 providers without a connector of their own: an oauth2 credential connected with one of them is used by
 * http.request (and imported OpenAPI connectors), which send its access token as a bearer token.
 */

/** Google: refresh tokens only for access_type=offline, and again on a later consent only with prompt=consent. */
export const googleOAuthProvider = defineOAuth2Provider({
  id: 'google',
  apiHosts: ['*.googleapis.com'],
  title: 'Google',
  authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  scopes: ['openid', 'email', 'profile'],
  authorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
  clientAuth: 'client_secret_post',
  docsUrl: 'https://developers.google.com/identity/protocols/oauth2/web-server',
  notes: 'Name the API scopes you need with --scopes (e.g. https://www.googleapis.com/auth/drive.readonly).',
});

/** HubSpot's preset lives with the hubspot connector; re-exported for the imports that know it from here. */
export { hubspotOAuthProvider } from '../hubspot/oauth-provider.ts';
/** Notion's preset lives with the notion connector, re-exported likewise. */
export { notionOAuthProvider } from '../notion/oauth-provider.ts';

export const HTTP_OAUTH_PROVIDERS = [googleOAuthProvider] as const;
