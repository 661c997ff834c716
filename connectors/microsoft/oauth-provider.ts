import { defineOAuth2Provider } from '../sdk/auth/oauth2-provider.ts';

/** Microsoft identity platform v2, the `common` tenant (work, school and personal accounts). */
export const microsoftOAuthProvider = defineOAuth2Provider({
  id: 'microsoft',
  apiHosts: ['graph.microsoft.com'],
  title: 'Microsoft',
  authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
  tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  scopes: ['openid', 'profile', 'offline_access', 'User.Read'],
  clientAuth: 'client_secret_post',
  docsUrl: 'https://learn.microsoft.com/en-us/entra/identity-platform/quickstart-register-app',
  notes:
    'One tenant only: set VMESH_OAUTH_MICROSOFT_AUTHORIZE_URL and _TOKEN_URL with the tenant id instead of common.',
});
