import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubFake } from '../../connectors/github/fake-server.ts';
import {
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  exchangeOAuth2Code,
  githubConnector,
  httpConnector,
  OAuth2Credential,
  oauth2ProvidersOf,
  parseSecretKey,
  slackConnector,
} from '../../connectors/index.ts';
import { startClientCredentialsServer } from '../../connectors/sdk/auth/testing/client-credentials-server.ts';
import { startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { logger } from '../../lib/index.ts';
import { type CredentialService, createCredentialService } from './credential-service.ts';
import { createOAuth2Tokens } from './oauth2-tokens.ts';

// `test` asks the vendor through the connector's own client (Slack auth.test, GitHub GET /user) against the wire
// fakes: a refusal marks the credential needs_reconnect, a network failure does not, a new secret reconnects it.

let db: TestDatabase;
let store: CredentialStore;
let service: CredentialService;
let slack: Awaited<ReturnType<typeof startSlackFake>>;
let github: Awaited<ReturnType<typeof startGithubFake>>;
const connectors = [slackConnector, githubConnector, httpConnector];

beforeAll(async () => {
  db = await createTestDatabase();
  slack = await startSlackFake({ teamId: 'T1', socketModeUrl: 'ws://127.0.0.1:9/link' });
  github = await startGithubFake();
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(randomBytes(32).toString('base64')),
    types: credentialTypesOf(connectors),
  });
  service = createCredentialService({
    sql: db.sql,
    store,
    connectors,
    env: { baseUrls: { slack: slack.apiUrl, github: github.url }, fetch: globalThis.fetch, logger },
  });
});
afterAll(async () => {
  await slack?.close();
  await github?.close();
  await db?.drop();
});

describe('credential test', () => {
  it('Slack: auth.test accepts the bot token; a revoked one needs a reconnect until a new secret is stored', async () => {
    await store.set('slackBot', 'slack', { token: slack.token });
    const good = await service.test('slackBot', undefined);
    expect(good).toMatchObject({ name: 'slackBot', type: 'slack', ok: true });
    expect(good.message).toContain(slack.botUserId);
    expect(slack.calls.some((call) => call.method === 'auth.test')).toBe(true);

    const wrong = 'xoxb-revoked-token-9999';
    await store.set('slackBot', 'slack', { token: wrong });
    const bad = await service.test('slackBot', undefined);
    expect(bad).toMatchObject({ ok: false });
    expect(bad.message).toContain('invalid_auth');
    const shown = await service.show('slackBot', undefined);
    expect(shown).toMatchObject({ state: 'needs_reconnect' });
    expect(shown.stateReason).toContain('The vendor refused it');
    expect(JSON.stringify([bad, shown])).not.toContain(wrong);

    await store.set('slackBot', 'slack', { token: slack.token });
    expect(await service.show('slackBot', undefined)).toMatchObject({
      state: 'connected',
      stateReason: null,
    });
  });

  it('GitHub: GET /user names the login; bad credentials are refused', async () => {
    await store.set('gh', 'github', { token: github.token });
    expect(await service.test('gh', undefined)).toMatchObject({
      ok: true,
      message: 'GitHub accepts it: signed in as vmesh-bot.',
    });
    await store.set('gh', 'github', { token: 'ghp_wrongwrongwrongwrongwrongwrong0002' });
    expect(await service.test('gh', undefined)).toMatchObject({ ok: false });
    expect(await service.show('gh', undefined)).toMatchObject({ state: 'needs_reconnect' });
  });

  it('oauth2-client-credentials tests itself at its token endpoint (a real OAuth2 server); a wrong secret is refused', async () => {
    const oauth = await startClientCredentialsServer({
      clientId: 'vmesh-machine',
      clientSecret: 'machine-secret-0123456789abcdef',
      scope: 'api:read',
    });
    try {
      const credential = {
        tokenUrl: `${oauth.issuer}/token`,
        clientId: oauth.clientId,
        clientSecret: oauth.clientSecret,
        scopes: ['api:read'],
      };
      await store.set('machine', 'oauth2-client-credentials', credential);
      expect(await service.test('machine', undefined)).toMatchObject({ ok: true });
      const wrong = 'wrong-machine-secret-0123456789';
      await store.set('machineWrong', 'oauth2-client-credentials', { ...credential, clientSecret: wrong });
      const refused = await service.test('machineWrong', undefined);
      expect(refused).toMatchObject({ ok: false });
      expect(await service.show('machineWrong', undefined)).toMatchObject({ state: 'needs_reconnect' });
      expect(JSON.stringify(refused)).not.toContain(wrong);
    } finally {
      await oauth.close();
    }
  });

  it('a vendor that cannot be reached fails the test without changing the state', async () => {
    const offline = createCredentialService({
      sql: db.sql,
      store,
      connectors,
      env: { baseUrls: { github: 'http://127.0.0.1:9' }, fetch: globalThis.fetch, logger },
    });
    await store.set('ghOffline', 'github', { token: github.token });
    const result = await offline.test('ghOffline', undefined);
    expect(result).toMatchObject({ ok: false });
    expect(result.message).toContain('The test request failed');
    expect(await service.show('ghOffline', undefined)).toMatchObject({ state: 'connected' });
  });

  it('a type without a test request only decrypts and checks the secret', async () => {
    await store.set('api', 'http', { scheme: 'bearer', token: 'api-token-123456' });
    expect(await service.test('api', undefined)).toMatchObject({ ok: null });
    expect((await service.show('api', undefined)).lastUsedAt).toBeNull();
  });

  it('oauth2: a stale access token is renewed through the locked refresh path; a refused renewal needs a reconnect', async () => {
    const providers = oauth2ProvidersOf(connectors);
    const oauthService = createCredentialService({
      sql: db.sql,
      store,
      connectors,
      env: { baseUrls: {}, fetch: globalThis.fetch, logger },
      oauth2Tokens: createOAuth2Tokens({ sql: db.sql, store, fetch: globalThis.fetch, providers }),
    });
    const connected = await exchangeOAuth2Code(
      {
        provider: 'github',
        authorizeUrl: 'https://github.com/login/oauth/authorize',
        tokenUrl: github.oauth.tokenUrl,
        clientId: github.oauth.clientId,
        clientSecret: github.oauth.clientSecret,
      },
      {
        code: github.oauth.issueCode(),
        verifier: 'v'.repeat(43),
        redirectUri: 'http://127.0.0.1/oauth/callback',
      },
      { fetch: globalThis.fetch, signal: AbortSignal.timeout(10_000), now: new Date() },
      providers.find((provider) => provider.id === 'github'),
    );
    await store.set('ghApp', 'oauth2', connected);
    const stored = async () =>
      OAuth2Credential.parse((await store.get('ghApp', { recordUse: false }))?.secret);

    // Fresh: nothing to renew, and nothing says it works.
    const fresh = await oauthService.test('ghApp', undefined);
    expect(fresh).toMatchObject({ ok: null, type: 'oauth2' });
    expect(fresh.message).toContain('fresh until');
    expect(github.oauth.refreshGrants()).toBe(0);

    // Stale: renewed at the provider, the rotated refresh token stored.
    await store.set('ghApp', 'oauth2', {
      ...connected,
      expiresAt: new Date(Date.now() - 5000).toISOString(),
    });
    const renewed = await oauthService.test('ghApp', undefined);
    expect(renewed).toMatchObject({ ok: true });
    expect(renewed.message).toContain('renewed');
    expect(github.oauth.refreshGrants()).toBe(1);
    const after = await stored();
    expect(after.accessToken).not.toBe(connected.accessToken);
    expect(after.refreshToken).not.toBe(connected.refreshToken);
    expect(Date.parse(after.expiresAt ?? '')).toBeGreaterThan(Date.now());

    // Stale with a revoked refresh token (GitHub: HTTP 200 bad_refresh_token): not fine, needs_reconnect.
    github.oauth.revoke(after.refreshToken ?? '');
    await store.updateLocked('ghApp', async () => ({
      result: undefined,
      secret: { ...after, expiresAt: new Date(Date.now() - 5000).toISOString() },
    }));
    const refused = await oauthService.test('ghApp', undefined);
    expect(refused).toMatchObject({ ok: false });
    expect(refused.message).toContain('invalid_grant');
    expect(await service.show('ghApp', undefined)).toMatchObject({ state: 'needs_reconnect' });
    expect(JSON.stringify([fresh, renewed, refused])).not.toContain(after.accessToken);

    // Without anything to renew it (no engine path), a stale token is reported broken, not fine.
    await store.set('ghStale', 'oauth2', {
      ...connected,
      expiresAt: new Date(Date.now() - 5000).toISOString(),
    });
    expect(await service.test('ghStale', undefined)).toMatchObject({ ok: false });
  });
});
