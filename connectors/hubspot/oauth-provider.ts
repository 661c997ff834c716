import { z } from 'zod';
import { defineOAuth2Provider, refusedAnswer } from '../sdk/auth/oauth2-provider.ts';

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
  notes:
    'Access tokens expire after 30 minutes and are renewed with the refresh token. For companies and deals add --scopes with crm.objects.companies.read/.write and crm.objects.deals.read/.write.',
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
