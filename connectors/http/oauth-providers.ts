import { z } from 'zod';
import { googleOAuthProvider } from '../google/oauth-provider.ts';
import { defineOAuth2Provider, refusedAnswer } from '../sdk/auth/oauth2-provider.ts';

// Google's preset moved to connectors/google/ (declared by googlesheets); re-exported for existing imports.
export { googleOAuthProvider };

/**
 * OAuth2 providers without a connector of their own: an oauth2 credential connected with one of them is used by
 * http.request (and imported OpenAPI connectors), which send its access token as a bearer token.
 */

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

/**
 * HubSpot's v3 token endpoint: client id and secret in the form. Its older answers name tokens in camelCase and
 * errors only as `status` (BAD_REFRESH_TOKEN, BAD_AUTH_CODE); both are read.
 */
const HubspotAnswer = z.object({
  error: z.string().optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  accessToken: z.string().optional(),
  refreshToken: z.string().optional(),
  expiresIn: z.coerce.number().optional(),
});
const HUBSPOT_REFUSALS = new Set(['BAD_REFRESH_TOKEN', 'BAD_AUTH_CODE', 'EXPIRED_AUTH_CODE']);
export const hubspotOAuthProvider = defineOAuth2Provider({
  id: 'hubspot',
  apiHosts: ['api.hubapi.com'],
  title: 'HubSpot',
  authorizeUrl: 'https://app.hubspot.com/oauth/authorize',
  tokenUrl: 'https://api.hubapi.com/oauth/v3/token',
  scopes: ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write'],
  clientAuth: 'client_secret_post',
  docsUrl: 'https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide',
  notes: 'Access tokens expire after 30 minutes and are renewed with the refresh token.',
  readTokenAnswer(answer) {
    const parsed = HubspotAnswer.safeParse(answer.json);
    if (!parsed.success) return answer;
    const body = parsed.data;
    if (!answer.ok) {
      if (body.error || !body.status) return answer;
      return refusedAnswer(
        answer,
        HUBSPOT_REFUSALS.has(body.status) ? 'invalid_grant' : body.status,
        body.message,
      );
    }
    if (!body.accessToken || (answer.json as { access_token?: unknown }).access_token) return answer;
    return {
      ...answer,
      json: {
        access_token: body.accessToken,
        ...(body.refreshToken ? { refresh_token: body.refreshToken } : {}),
        ...(body.expiresIn ? { expires_in: body.expiresIn } : {}),
      },
    };
  },
});

/** Notion public connections: Basic auth and a JSON body at the token endpoint; no scopes; owner=user. */
const NotionError = z.object({
  object: z.literal('error'),
  code: z.string(),
  message: z.string().optional(),
});
export const notionOAuthProvider = defineOAuth2Provider({
  id: 'notion',
  apiHosts: ['api.notion.com'],
  title: 'Notion',
  authorizeUrl: 'https://api.notion.com/v1/oauth/authorize',
  tokenUrl: 'https://api.notion.com/v1/oauth/token',
  scopes: [],
  authorizeParams: { owner: 'user' },
  clientAuth: 'client_secret_basic',
  tokenRequestBody: 'json',
  docsUrl: 'https://developers.notion.com/docs/authorization',
  notes: 'No scopes: the person picks the pages to share. Access tokens do not expire.',
  readTokenAnswer(answer) {
    const failure = NotionError.safeParse(answer.json);
    if (answer.ok || !failure.success) return answer;
    return refusedAnswer(answer, failure.data.code, failure.data.message);
  },
});

export const HTTP_OAUTH_PROVIDERS = [
  microsoftOAuthProvider,
  hubspotOAuthProvider,
  notionOAuthProvider,
] as const;
