import { defineOAuth2Provider } from '../sdk/auth/oauth2-provider.ts';

/**
 * Google's OAuth 2.0 for web server apps: refresh tokens only for access_type=offline, and again on a later consent
 * only with prompt=consent. Declared once, by the googlesheets connector; googledrive, googledocs, googlecalendar and
 * http.request use the same preset (provider ids are unique across connectors).
 */
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
  notes:
    "Name the API scopes you need with --scopes (e.g. https://www.googleapis.com/auth/spreadsheets for googlesheets; each Google connector's doc lists its scopes).",
});
