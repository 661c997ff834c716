import { defineOAuth2Provider } from '../sdk/auth/oauth2-provider.ts';

/**
 * Salesforce connected apps (web server flow with PKCE). Every token answer names the org's `instance_url`, which is
 * kept with the credential: the salesforce connector sends its requests there.
 */
export const salesforceOAuthProvider = defineOAuth2Provider({
  id: 'salesforce',
  apiHosts: ['*.my.salesforce.com'],
  title: 'Salesforce',
  authorizeUrl: 'https://login.salesforce.com/services/oauth2/authorize',
  tokenUrl: 'https://login.salesforce.com/services/oauth2/token',
  scopes: ['api', 'refresh_token'],
  clientAuth: 'client_secret_post',
  docsUrl: 'https://help.salesforce.com/s/articleView?id=sf.connected_app_create_api_integration.htm',
  notes:
    'Sandboxes sign in at test.salesforce.com: set VMESH_OAUTH_SALESFORCE_AUTHORIZE_URL and _TOKEN_URL. Access tokens last as long as the org’s session timeout and are renewed with the refresh token on a 401.',
});
