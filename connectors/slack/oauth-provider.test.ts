import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exchangeOAuth2Code,
  type OAuth2Config,
  RECONNECT_CODE,
  refreshOAuth2Tokens,
} from '../sdk/auth/oauth2.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { type SlackFake, startSlackFake } from './fake-server.ts';
import { slackOAuthProvider } from './oauth-provider.ts';

// Slack's oauth.v2.access as the fake speaks it (token rotation on): HTTP 200 `ok: false` for every refusal, the bot
// token at the top level, a user token under authed_user.

let slack: SlackFake;
let config: OAuth2Config;
const ctx = () => ({ fetch: globalThis.fetch, signal: AbortSignal.timeout(10_000), now: new Date() });
const grant = (code: string) => ({
  code,
  verifier: 'v'.repeat(43),
  redirectUri: 'http://127.0.0.1/oauth/callback',
});

async function refusal(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

beforeAll(async () => {
  slack = await startSlackFake();
  config = {
    provider: 'slack',
    authorizeUrl: slackOAuthProvider.authorizeUrl,
    tokenUrl: slack.oauth.tokenUrl,
    clientId: slack.oauth.clientId,
    clientSecret: slack.oauth.clientSecret,
  };
});
afterAll(async () => {
  await slack?.close();
});

describe('the slack OAuth2 preset', () => {
  it('trades a code for the bot token (Basic auth), which auth.test accepts; it expires in 12 h', async () => {
    const credential = await exchangeOAuth2Code(
      config,
      grant(slack.oauth.issueCode()),
      ctx(),
      slackOAuthProvider,
    );
    expect(credential.accessToken).toMatch(/^xoxe\.xoxb-/);
    expect(credential.refreshToken).toMatch(/^xoxe-1-/);
    expect(Date.parse(credential.expiresAt ?? '') - Date.now()).toBeGreaterThan(11 * 3600_000);
    expect(slack.requests.at(-1)?.headers.authorization).toMatch(/^Basic /);
    const test = await fetch(`${slack.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential.accessToken}` },
    });
    expect(await test.json()).toMatchObject({ ok: true });
  });

  it("takes authed_user's token when only user scopes were granted", async () => {
    const credential = await exchangeOAuth2Code(
      config,
      grant(slack.oauth.issueCode({ userOnly: true })),
      ctx(),
      slackOAuthProvider,
    );
    expect(credential.accessToken).toMatch(/^xoxe\.xoxp-/);
    expect(credential.refreshToken).toBeTruthy();
  });

  it('a refresh rotates; a used or revoked refresh token (200 ok:false invalid_refresh_token) needs a reconnect', async () => {
    const first = await exchangeOAuth2Code(config, grant(slack.oauth.issueCode()), ctx(), slackOAuthProvider);
    const renewed = await refreshOAuth2Tokens(first, ctx(), slackOAuthProvider);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(slack.oauth.refreshGrants()).toBe(1);
    const reused = await refusal(refreshOAuth2Tokens(first, ctx(), slackOAuthProvider));
    expect(reused.code).toBe(RECONNECT_CODE);
    slack.oauth.revoke(renewed.refreshToken ?? '');
    expect((await refusal(refreshOAuth2Tokens(renewed, ctx(), slackOAuthProvider))).code).toBe(
      RECONNECT_CODE,
    );
  });

  it('a bad client secret is E_AUTH (invalid_client); a rate limit is retried', async () => {
    const wrong = await refusal(
      exchangeOAuth2Code(
        { ...config, clientSecret: 'wrong' },
        grant(slack.oauth.issueCode()),
        ctx(),
        slackOAuthProvider,
      ),
    );
    expect(wrong).toMatchObject({ code: 'E_AUTH', status: 401 });
    slack.fail('oauth.v2.access', { status: 200, body: { ok: false, error: 'ratelimited' } });
    const limited = await refusal(
      exchangeOAuth2Code(config, grant(slack.oauth.issueCode()), ctx(), slackOAuthProvider),
    );
    expect(limited).toMatchObject({ code: 'E_UPSTREAM', retryable: true, status: 429 });
  });
});
