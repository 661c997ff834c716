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
  oauth2ProvidersOf,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createSqlClient, type Sql } from '../../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { type RunningApp, startApp } from '../start.ts';
import { parseExposition, type Sample, sampleValue } from './testing/exposition.ts';

// GET /metrics of the app as `npm start` runs it: oauth2 refreshes made by its worker against GitHub's token
// endpoint (wire fake), and Postgres as the app uses it (connections by state, pool size, idle transactions).

let db: TestDatabase;
let app: RunningApp;
let github: GithubFake;
let store: CredentialStore;
let other: Sql;
const TOKEN = 'metrics-ops-test-token-0123456789';
const SECRET_KEY = Buffer.alloc(32, 17).toString('base64');
const POOL_SIZE = 7;

beforeAll(async () => {
  github = await startGithubFake();
  db = await createTestDatabase({ poolSize: 4 });
  app = await startApp({
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    VMESH_SECRET_KEY: SECRET_KEY,
    VMESH_API_TOKEN: TOKEN,
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    VMESH_DB_POOL_SIZE: String(POOL_SIZE),
  });
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(SECRET_KEY),
    types: credentialTypesOf([httpConnector, githubConnector]),
  });
  // Another vmesh process's connection (application_name vmesh), as a second worker would hold one.
  other = createSqlClient(db.url, { max: 1 });
}, 90_000);
afterAll(async () => {
  await other?.end({ timeout: 5 });
  await app?.stop();
  await github?.close();
  await db?.drop();
});

async function scrape(): Promise<Sample[]> {
  const response = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  return parseExposition(await response.text()).samples;
}

async function runCall(credential: string): Promise<string> {
  const api = (path: string, body: unknown) =>
    fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    }).then((response) => response.json() as Promise<Record<string, unknown>>);
  const created = await api('/api/workflows', {
    document: {
      schemaVersion: 1,
      name: `call ${randomBytes(3).toString('hex')}`,
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'call',
          uses: 'http.request',
          credential,
          retry: { maxAttempts: 1 },
          with: { method: 'GET', url: `${github.url}/user` },
        },
      ],
      edges: [],
    },
  });
  const { runId } = (await api(`/api/workflows/${String(created.id)}/runs`, { input: {} })) as {
    runId: string;
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [row] = await db.sql`select status from runs where id = ${runId}`;
    if (row && ['succeeded', 'failed'].includes(String(row.status))) return String(row.status);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${runId} did not finish`);
}

const refreshes = (samples: Sample[], outcome: string) =>
  sampleValue(samples, 'vmesh_credential_refreshes_total', { type: 'oauth2', provider: 'github', outcome }) ??
  0;

describe('GET /metrics: credential refreshes and Postgres', () => {
  it('counts an oauth2 refresh the worker made as renewed, and a refused one as needs_reconnect', async () => {
    const config: OAuth2Config = {
      provider: 'github',
      authorizeUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: github.oauth.tokenUrl,
      clientId: github.oauth.clientId,
      clientSecret: github.oauth.clientSecret,
    };
    const preset = oauth2ProvidersOf([githubConnector]).find((provider) => provider.id === 'github');
    const connected = await exchangeOAuth2Code(
      config,
      { code: github.oauth.issueCode(), verifier: 'v'.repeat(43), redirectUri: 'http://127.0.0.1/cb' },
      { fetch: globalThis.fetch, signal: AbortSignal.timeout(10_000), now: new Date() },
      preset,
    );
    const expired = () => new Date(Date.now() - 1000).toISOString();
    await store.set('gh', 'oauth2', { ...connected, expiresAt: expired() });
    const before = await scrape();

    expect(await runCall('gh')).toBe('succeeded');
    expect(github.oauth.refreshGrants()).toBe(1);
    const renewed = await scrape();
    expect(refreshes(renewed, 'renewed') - refreshes(before, 'renewed')).toBe(1);
    expect(refreshes(renewed, 'needs_reconnect') - refreshes(before, 'needs_reconnect')).toBe(0);

    const current = OAuth2Credential.parse((await store.get('gh', { recordUse: false }))?.secret);
    github.oauth.revoke(current.refreshToken ?? '');
    await store.set('gh', 'oauth2', { ...current, expiresAt: expired() });
    expect(await runCall('gh')).toBe('failed');
    const refused = await scrape();
    expect(refreshes(refused, 'needs_reconnect') - refreshes(renewed, 'needs_reconnect')).toBe(1);
    expect(refreshes(refused, 'renewed')).toBe(refreshes(renewed, 'renewed'));
    // Scraping again counts nothing twice.
    expect(refreshes(await scrape(), 'needs_reconnect')).toBe(refreshes(refused, 'needs_reconnect'));
  }, 120_000);

  it('shows connections by application and state, the pool size, and idle transactions', async () => {
    const baseline = await scrape();
    expect(sampleValue(baseline, 'vmesh_db_pool_max_connections')).toBe(POOL_SIZE);
    // The scrape's own query is an active connection of the app; the job runner's connections are named apart.
    expect(
      sampleValue(baseline, 'vmesh_db_connections', { application: 'vmesh', state: 'active' }),
    ).toBeGreaterThanOrEqual(1);
    const worker = baseline.filter(
      (sample) => sample.name === 'vmesh_db_connections' && sample.labels.application === 'vmesh-worker',
    );
    expect(worker.reduce((sum, sample) => sum + sample.value, 0)).toBeGreaterThanOrEqual(1);
    const idleBefore = sampleValue(baseline, 'vmesh_db_idle_in_transaction_seconds_total') ?? -1;
    expect(idleBefore).toBeGreaterThanOrEqual(0);

    const held = await other.reserve();
    try {
      await held`begin`;
      await held`select 1`;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const idling = await scrape();
      expect(
        sampleValue(idling, 'vmesh_db_connections', { application: 'vmesh', state: 'idle_in_transaction' }),
      ).toBe(1);
      expect(sampleValue(idling, 'vmesh_db_oldest_idle_in_transaction_seconds')).toBeGreaterThanOrEqual(1.5);
      await held`commit`;
    } finally {
      held.release();
    }
    const closed = await scrape();
    expect(
      sampleValue(closed, 'vmesh_db_connections', { application: 'vmesh', state: 'idle_in_transaction' }),
    ).toBe(0);
    expect(sampleValue(closed, 'vmesh_db_oldest_idle_in_transaction_seconds')).toBe(0);
    // Postgres adds a session's idle time to pg_stat_database when it reports its statistics (within seconds).
    const deadline = Date.now() + 30_000;
    let idleAfter = idleBefore;
    while (Date.now() < deadline && idleAfter - idleBefore < 1.5) {
      await other`select 1`;
      await new Promise((resolve) => setTimeout(resolve, 500));
      idleAfter = sampleValue(await scrape(), 'vmesh_db_idle_in_transaction_seconds_total') ?? 0;
    }
    expect(idleAfter - idleBefore).toBeGreaterThanOrEqual(1.5);
  }, 120_000);
});
