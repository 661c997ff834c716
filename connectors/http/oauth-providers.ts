import { z } from 'zod';
import { microsoftOAuthProvider } from '../microsoft/oauth-provider.ts';
import { defineOAuth2Provider, refusedAnswer } from '../sdk/auth/oauth2-provider.ts';

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

export const HTTP_OAUTH_PROVIDERS = [googleOAuthProvider, hubspotOAuthProvider, notionOAuthProvider] as const;
