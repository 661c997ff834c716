import { z } from 'zod';
import { defineOAuth2Provider, refusedAnswer } from '../sdk/auth/oauth2-provider.ts';

/** GitHub answers a refused grant with HTTP 200 and one of these (docs: troubleshooting access token request errors). */
const GITHUB_ERRORS: Readonly<Record<string, string>> = {
  bad_verification_code: 'invalid_grant',
  bad_refresh_token: 'invalid_grant',
  incorrect_client_credentials: 'invalid_client',
  redirect_uri_mismatch: 'invalid_request',
  unverified_user_email: 'access_denied',
};
const GithubError = z.object({ error: z.string(), error_description: z.string().optional() });

/**
 * GitHub OAuth apps (and GitHub Apps' user tokens): client id and secret in the form, errors in a 200 body, and a
 * form-encoded answer unless JSON is asked for (postTokenForm asks, and reads either). OAuth-app tokens do not
 * expire; a GitHub App with expiring user tokens sends expires_in and a refresh token.
 */
export const githubOAuthProvider = defineOAuth2Provider({
  id: 'github',
  apiHosts: ['api.github.com'],
  title: 'GitHub',
  authorizeUrl: 'https://github.com/login/oauth/authorize',
  tokenUrl: 'https://github.com/login/oauth/access_token',
  // What the connector's actions and self-registering triggers need (issues, labels, comments, repository hooks).
  scopes: ['repo', 'admin:repo_hook'],
  clientAuth: 'client_secret_post',
  docsUrl: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/creating-an-oauth-app',
  notes: 'OAuth-app tokens do not expire.',
  readTokenAnswer(answer) {
    const failure = GithubError.safeParse(answer.json);
    if (!answer.ok || !failure.success) return answer;
    return refusedAnswer(
      answer,
      GITHUB_ERRORS[failure.data.error] ?? failure.data.error,
      failure.data.error_description,
    );
  },
});
