import { z } from 'zod';
import { defineOAuth2Provider, refusedAnswer } from '../sdk/auth/oauth2-provider.ts';

/** oauth.v2.access answers HTTP 200 `{ ok: false, error }`; these codes mean the grant itself is refused. */
const SLACK_ERRORS: Readonly<Record<string, string>> = {
  invalid_code: 'invalid_grant',
  code_already_used: 'invalid_grant',
  code_expired: 'invalid_grant',
  invalid_refresh_token: 'invalid_grant',
  token_revoked: 'invalid_grant',
  token_expired: 'invalid_grant',
  invalid_grant: 'invalid_grant',
  invalid_client_id: 'invalid_client',
  bad_client_secret: 'invalid_client',
  bad_redirect_uri: 'invalid_request',
  ratelimited: 'rate_limited',
};

const Tokens = z.object({
  access_token: z.string().min(1).optional(),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.coerce.number().positive().optional(),
});
const SlackAnswer = z.object({
  ok: z.boolean(),
  error: z.string().optional(),
  ...Tokens.shape,
  authed_user: Tokens.optional(),
});

/**
 * Slack's OAuth v2 (a bot token for the workspace): scopes comma-separated, errors as `ok: false` in a 200 body,
 * the bot token at the top level and a user token under `authed_user` (taken when no bot scope was asked for).
 * With token rotation on, the token expires in 12 hours and a refresh token comes with it; without, it never
 * expires.
 */
export const slackOAuthProvider = defineOAuth2Provider({
  id: 'slack',
  apiHosts: ['slack.com'],
  title: 'Slack',
  authorizeUrl: 'https://slack.com/oauth/v2/authorize',
  tokenUrl: 'https://slack.com/api/oauth.v2.access',
  // The bot scopes the connector's actions and its message trigger use.
  scopes: ['chat:write', 'reactions:write', 'users:read', 'users:read.email', 'channels:history'],
  scopeSeparator: ',',
  docsUrl: 'https://docs.slack.dev/authentication/installing-with-oauth',
  notes: 'Tokens expire (12 h) only with token rotation turned on in the app.',
  readTokenAnswer(answer) {
    const parsed = SlackAnswer.safeParse(answer.json);
    if (!answer.ok || !parsed.success) return answer;
    const body = parsed.data;
    if (!body.ok) {
      const said = body.error ?? 'unknown_error';
      return refusedAnswer(answer, SLACK_ERRORS[said] ?? said, `Slack said ${said}`);
    }
    const tokens = body.access_token ? body : (body.authed_user ?? {});
    return {
      ...answer,
      json: {
        access_token: tokens.access_token,
        ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
        ...(tokens.expires_in ? { expires_in: tokens.expires_in } : {}),
      },
    };
  },
});
