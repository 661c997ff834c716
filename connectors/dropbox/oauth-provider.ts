import { defineOAuth2Provider } from '../sdk/auth/oauth2-provider.ts';

/**
 * Dropbox's OAuth 2 code flow: access tokens live 4 hours; `token_access_type=offline` makes Dropbox issue a refresh
 * token with them. Client id and secret may go in the form (documented for /oauth2/token).
 */
export const dropboxOAuthProvider = defineOAuth2Provider({
  id: 'dropbox',
  apiHosts: ['api.dropboxapi.com', 'content.dropboxapi.com'],
  title: 'Dropbox',
  authorizeUrl: 'https://www.dropbox.com/oauth2/authorize',
  tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
  scopes: ['account_info.read', 'files.metadata.read', 'files.content.read', 'files.content.write'],
  authorizeParams: { token_access_type: 'offline' },
  clientAuth: 'client_secret_post',
  docsUrl: 'https://developers.dropbox.com/oauth-guide',
  notes:
    'Access tokens expire after 4 hours and are renewed with the refresh token (token_access_type=offline). Enable the scopes on the app’s Permissions tab.',
});
