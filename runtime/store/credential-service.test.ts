import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubFake } from '../../connectors/github/fake-server.ts';
import {
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  githubConnector,
  httpConnector,
  parseSecretKey,
  slackConnector,
} from '../../connectors/index.ts';
import { startClientCredentialsServer } from '../../connectors/sdk/auth/testing/client-credentials-server.ts';
import { startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { logger } from '../../lib/index.ts';
import { type CredentialService, createCredentialService } from './credential-service.ts';

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
});
