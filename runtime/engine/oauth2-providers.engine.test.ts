import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GithubFake, startGithubFake } from '../../connectors/github/fake-server.ts';
import {
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  exchangeOAuth2Code,
  githubConnector,
  httpConnector,
  type OAuth2Config,
  OAuth2Credential,
  type OAuth2Provider,
  oauth2ProvidersOf,
  parseSecretKey,
  slackConnector,
} from '../../connectors/index.ts';
import { type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// http.request steps on the real worker with oauth2 credentials connected through the github and slack presets,
// against the vendors' token endpoints as wire fakes: an expired token is renewed by the preset's rules, and a
// refusal the vendor sends with HTTP 200 fails the step with E_CREDENTIAL_RECONNECT and marks it needs_reconnect.

const connectors = [httpConnector, githubConnector, slackConnector];
const presets = new Map(oauth2ProvidersOf(connectors).map((provider) => [provider.id, provider]));
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let store: CredentialStore;
let github: GithubFake;
let slack: SlackFake;

async function connect(name: string, config: OAuth2Config, code: string): Promise<OAuth2Credential> {
  const preset = presets.get(config.provider ?? '') as OAuth2Provider;
  const credential = await exchangeOAuth2Code(
    config,
    { code, verifier: 'v'.repeat(43), redirectUri: 'http://127.0.0.1/oauth/callback' },
    { fetch: globalThis.fetch, signal: AbortSignal.timeout(10_000), now: new Date() },
    preset,
  );
  await store.set(name, 'oauth2', { ...credential, expiresAt: new Date(Date.now() - 1000).toISOString() });
  return credential;
}

async function stored(name: string): Promise<OAuth2Credential> {
  return OAuth2Credential.parse((await store.get(name, { recordUse: false }))?.secret);
}

async function call(credential: string, request: { method: string; url: string }) {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name: `call ${credential} ${randomBytes(3).toString('hex')}`,
    trigger: { type: 'manual' },
    nodes: [{ id: 'call', uses: 'http.request', credential, retry: { maxAttempts: 1 }, with: request }],
    edges: [],
  });
  const { runId } = await startRun(db.sql, id, {});
  return waitForRun(db.sql, runId, { timeoutMs: 30_000 });
}

beforeAll(async () => {
  github = await startGithubFake();
  slack = await startSlackFake();
  db = await createTestDatabase({ poolSize: 8 });
  const secretKey = randomBytes(32).toString('base64');
  const env = { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' };
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  engine = await createEngineServices(database, { env, connectors });
  worker = await engine.startWorker({ concurrency: 2 });
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: credentialTypesOf(connectors),
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await github?.close();
  await slack?.close();
  await db?.drop();
});

describe('oauth2 credentials of provider presets on the worker', () => {
  const githubConfig = (): OAuth2Config => ({
    provider: 'github',
    authorizeUrl: 'https://github.com/login/oauth/authorize',
    tokenUrl: github.oauth.tokenUrl,
    clientId: github.oauth.clientId,
    clientSecret: github.oauth.clientSecret,
  });
  const slackConfig = (): OAuth2Config => ({
    provider: 'slack',
    authorizeUrl: 'https://slack.com/oauth/v2/authorize',
    tokenUrl: slack.oauth.tokenUrl,
    clientId: slack.oauth.clientId,
    clientSecret: slack.oauth.clientSecret,
  });

  it('github: an expired token is renewed (client secret in the form) and the API call succeeds', async () => {
    const first = await connect('gh', githubConfig(), github.oauth.issueCode());
    const view = await call('gh', { method: 'GET', url: `${github.url}/user` });
    expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
    expect(view.output).toMatchObject({ status: 200, body: { login: 'vmesh-bot' } });
    expect(github.oauth.refreshGrants()).toBe(1);
    const after = await stored('gh');
    expect(after.accessToken).not.toBe(first.accessToken);
    expect(after.refreshToken).not.toBe(first.refreshToken);
    expect(after.provider).toBe('github');
    expect(Date.parse(after.expiresAt ?? '')).toBeGreaterThan(Date.now());
  }, 60_000);

  it('github: bad_refresh_token in a 200 answer fails the step with E_CREDENTIAL_RECONNECT and needs_reconnect', async () => {
    const current = await stored('gh');
    github.oauth.revoke(current.refreshToken ?? '');
    await store.updateLocked('gh', async () => ({
      result: undefined,
      secret: { ...current, expiresAt: new Date(Date.now() - 1000).toISOString() },
    }));
    const view = await call('gh', { method: 'GET', url: `${github.url}/user` });
    expect(view.status).toBe('failed');
    const error = JSON.stringify(view.error);
    expect(error).toContain('E_CREDENTIAL_RECONNECT');
    expect(error).toContain('vmesh credentials connect gh');
    expect(error).toContain('invalid_grant');
    const summary = await store.summary('gh');
    expect(summary?.state).toBe('needs_reconnect');
    expect(summary?.stateReason).toContain('invalid_grant');
  }, 60_000);

  it('slack: renewed by oauth.v2.access (Basic auth); a reused refresh token (200 ok:false) needs a reconnect', async () => {
    const first = await connect('slk', slackConfig(), slack.oauth.issueCode());
    const view = await call('slk', { method: 'POST', url: `${slack.apiUrl}auth.test` });
    expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
    expect(view.output).toMatchObject({ status: 200, body: { ok: true } });
    expect(slack.oauth.refreshGrants()).toBe(1);
    const renewed = await stored('slk');
    expect(renewed.accessToken).not.toBe(first.accessToken);

    // The refresh token the renewal rotated away, as a second copy of the credential would still hold it.
    await store.set('slk-stale', 'oauth2', {
      ...renewed,
      refreshToken: first.refreshToken,
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const stale = await call('slk-stale', { method: 'POST', url: `${slack.apiUrl}auth.test` });
    expect(stale.status).toBe('failed');
    expect(JSON.stringify(stale.error)).toContain('E_CREDENTIAL_RECONNECT');
    expect((await store.summary('slk-stale'))?.state).toBe('needs_reconnect');
    expect((await store.summary('slk'))?.state).toBe('connected');
  }, 60_000);
});
