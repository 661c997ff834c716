import { googleOAuthProvider } from '../google/oauth-provider.ts';
import { microsoftOAuthProvider } from '../microsoft/oauth-provider.ts';
import type { OAuth2Provider } from '../sdk/auth/oauth2-provider.ts';

/** HubSpot's preset lives with the hubspot connector; re-exported for the imports that know it from here. */
export { hubspotOAuthProvider } from '../hubspot/oauth-provider.ts';
/** Notion's preset lives with the notion connector, re-exported likewise. */
export { notionOAuthProvider } from '../notion/oauth-provider.ts';
/**
 * Every built-in OAuth2 preset now comes with a connector of its own (google with googlesheets, microsoft with
 * outlook, hubspot, notion, …); an oauth2 credential connected with any of them is also used by http.request (and
 * imported OpenAPI connectors), which send its access token as a bearer token. Re-exported for existing imports.
 */
export { googleOAuthProvider, microsoftOAuthProvider };

/** The presets http declares itself: none left (each moved to its vendor's connector). */
export const HTTP_OAUTH_PROVIDERS: readonly OAuth2Provider[] = [];
