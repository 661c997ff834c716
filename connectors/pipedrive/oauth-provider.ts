import { defineOAuth2Provider } from '../sdk/auth/oauth2-provider.ts';

/** Pipedrive apps: the client id and secret as Basic auth at the token endpoint; scopes are set in the app. */
export const pipedriveOAuthProvider = defineOAuth2Provider({
  id: 'pipedrive',
  apiHosts: ['api.pipedrive.com', '*.pipedrive.com'],
  title: 'Pipedrive',
  authorizeUrl: 'https://oauth.pipedrive.com/oauth/authorize',
  tokenUrl: 'https://oauth.pipedrive.com/oauth/token',
  scopes: [],
  clientAuth: 'client_secret_basic',
  docsUrl: 'https://pipedrive.readme.io/docs/marketplace-oauth-authorization',
  notes:
    'Scopes are chosen in the app (Developer Hub): deals, contacts, activities full access, and webhooks for dealCreated. Access tokens last an hour and are renewed.',
});
