import { defineOAuth2Provider } from '../sdk/auth/oauth2-provider.ts';

/**
 * Linear OAuth2 apps (Settings → API → OAuth applications): the authorization-code grant with the client secret in
 * the form; `read,write` lets the actions create and update issues and comments. Tokens of apps made since 2025
 * expire and come with a refresh token; older ones are long-lived.
 */
export const linearOAuthProvider = defineOAuth2Provider({
  id: 'linear',
  apiHosts: ['api.linear.app'],
  title: 'Linear',
  authorizeUrl: 'https://linear.app/oauth/authorize',
  tokenUrl: 'https://api.linear.app/oauth/token',
  scopes: ['read', 'write'],
  scopeSeparator: ',',
  clientAuth: 'client_secret_post',
  docsUrl: 'https://linear.app/developers/oauth-2-0-authentication',
  notes:
    'Scopes are comma-separated; access tokens are renewed with the refresh token when Linear issues one.',
});
