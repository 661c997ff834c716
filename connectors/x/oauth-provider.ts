import { z } from 'zod';
import { defineOAuth2Provider, refusedAnswer } from '../sdk/auth/oauth2-provider.ts';

const XTokenError = z.object({ error: z.string(), error_description: z.string().optional() });

/**
 * X (Twitter) OAuth 2.0 with PKCE, user context: a confidential client authenticates with Basic at the token
 * endpoint; access tokens last two hours and `offline.access` brings a refresh token (rotated on each use). A
 * revoked or already used refresh token is answered `invalid_request` "Value passed for the token was invalid",
 * which only connecting again fixes: it is read as invalid_grant.
 */
export const xOAuthProvider = defineOAuth2Provider({
  id: 'x',
  apiHosts: ['api.x.com', 'api.twitter.com'],
  title: 'X (Twitter)',
  authorizeUrl: 'https://x.com/i/oauth2/authorize',
  tokenUrl: 'https://api.x.com/2/oauth2/token',
  scopes: ['tweet.read', 'tweet.write', 'users.read', 'offline.access'],
  clientAuth: 'client_secret_basic',
  docsUrl: 'https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code',
  notes:
    'Set the app to "Web App, Automated App or Bot" (a confidential client) in the developer portal. Access tokens last 2 hours and are renewed with the refresh token.',
  readTokenAnswer(answer) {
    const failure = XTokenError.safeParse(answer.json);
    if (answer.ok || !failure.success) return answer;
    const { error, error_description: description } = failure.data;
    const refusedToken = error === 'invalid_request' && /token was invalid/i.test(description ?? '');
    return refusedToken ? refusedAnswer(answer, 'invalid_grant', description) : answer;
  },
});
