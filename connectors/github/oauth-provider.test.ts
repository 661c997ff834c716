import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exchangeOAuth2Code,
  type OAuth2Config,
  RECONNECT_CODE,
  refreshOAuth2Tokens,
} from '../sdk/auth/oauth2.ts';
import { postTokenForm } from '../sdk/auth/token-endpoint.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import { type GithubFake, startGithubFake } from './fake-server.ts';
import { githubOAuthProvider } from './oauth-provider.ts';

// GitHub's token endpoint as the fake speaks it: refusals with HTTP 200, form-encoded unless JSON is asked for.

let github: GithubFake;
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
  github = await startGithubFake();
  config = {
    provider: 'github',
    authorizeUrl: githubOAuthProvider.authorizeUrl,
    tokenUrl: github.oauth.tokenUrl,
    clientId: github.oauth.clientId,
    clientSecret: github.oauth.clientSecret,
    scopes: [...githubOAuthProvider.scopes],
  };
});
afterAll(async () => {
  await github?.close();
});

describe('the github OAuth2 preset', () => {
  it('trades a code (client secret in the form, JSON asked for); the token passes the API', async () => {
    const credential = await exchangeOAuth2Code(
      config,
      grant(github.oauth.issueCode()),
      ctx(),
      githubOAuthProvider,
    );
    expect(credential.accessToken).toMatch(/^ghu_/);
    expect(credential.refreshToken).toMatch(/^ghr_/);
    expect(credential.provider).toBe('github');
    expect(Date.parse(credential.expiresAt ?? '') - Date.now()).toBeGreaterThan(7 * 3600_000);
    expect(github.oauth.accepts.at(-1)).toBe('application/json');
    const sent = github.requests.at(-1);
    expect(sent?.headers.authorization).toBeUndefined();
    const user = await fetch(`${github.url}/user`, {
      headers: { authorization: `Bearer ${credential.accessToken}` },
    });
    expect(user.status).toBe(200);
  });

  it("reads GitHub's default form-encoded answer", async () => {
    const form = new URLSearchParams({
      client_id: config.clientId,
      client_secret: config.clientSecret,
      code: github.oauth.issueCode(),
    });
    const raw = await postTokenForm({ tokenUrl: config.tokenUrl, form, headers: { accept: '*/*' } }, ctx());
    expect(github.oauth.accepts.at(-1)).toBe('*/*');
    const read = githubOAuthProvider.readTokenAnswer?.(raw) ?? raw;
    expect(read.ok).toBe(true);
    expect(read.json).toMatchObject({ access_token: expect.stringMatching(/^ghu_/), expires_in: '28800' });
  });

  it('a refresh rotates the refresh token; the old one, refused with HTTP 200 bad_refresh_token, needs a reconnect', async () => {
    const first = await exchangeOAuth2Code(
      config,
      grant(github.oauth.issueCode()),
      ctx(),
      githubOAuthProvider,
    );
    const renewed = await refreshOAuth2Tokens(first, ctx(), githubOAuthProvider);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(renewed.refreshToken).not.toBe(first.refreshToken);
    const error = await refusal(refreshOAuth2Tokens(first, ctx(), githubOAuthProvider));
    expect(error.code).toBe(RECONNECT_CODE);
    expect(error.message).toContain('invalid_grant');
  });

  it('a bad code needs a new link (invalid_grant); a wrong client secret is E_AUTH, not a reconnect', async () => {
    const bad = await refusal(exchangeOAuth2Code(config, grant('not-a-code'), ctx(), githubOAuthProvider));
    expect(bad.code).toBe(RECONNECT_CODE);
    const wrong = await refusal(
      exchangeOAuth2Code(
        { ...config, clientSecret: 'wrong-secret-0000' },
        grant(github.oauth.issueCode()),
        ctx(),
        githubOAuthProvider,
      ),
    );
    expect(wrong).toMatchObject({ code: 'E_AUTH', status: 401, retryable: false });
    expect(wrong.message).toContain('invalid_client');
  });

  it('without the preset the same 200-with-error answer is no token (the hook is what reads it)', async () => {
    const error = await refusal(
      exchangeOAuth2Code({ ...config, clientSecret: 'wrong-secret-0000' }, grant('x'), ctx()),
    );
    expect(error.code).toBe('E_AUTH');
    expect(error.message).toContain('without an access_token');
  });
});
