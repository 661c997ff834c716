import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  httpConnector,
  OAuth2Credential,
  parseSecretKey,
} from '../connectors/index.ts';
import {
  type AuthorizationCodeServer,
  startAuthorizationCodeServer,
} from '../connectors/sdk/auth/testing/authorization-code-server.ts';
import { findFreePort } from '../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { parseServerConfig } from './config.ts';
import type { RunningApp } from './start.ts';
import { CookieJar, startSignedApp } from './web-auth/testing/signed-app.ts';

// Connecting with `--provider google` / `{ provider: "google" }`: the installation's app from VMESH_OAUTH_GOOGLE_*
// (its endpoints pointed at a real oidc-provider that requires client_secret_post, as Google's preset sends it),
// through the HTTP route and through the real `vmesh` process; the stored credential remembers its provider, and
// `POST /api/credentials/:name/test` renews it when stale.

const apiToken = `shared-${randomBytes(12).toString('hex')}`;
const secretKey = randomBytes(32).toString('base64');
const auth = { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' };
const execFileAsync = promisify(execFile);

let db: TestDatabase;
let provider: AuthorizationCodeServer;
let app: RunningApp;
let store: CredentialStore;
let publicUrl = '';
let googleEnv: Record<string, string> = {};

async function connectLink(name: string, body: Record<string, unknown>) {
  const response = await fetch(`${app.url}/api/credentials/${name}/connect`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { url?: string; error?: { message: string; hint?: string } },
  };
}

/** Opens the link and lets the provider's login and consent finish, as a browser would. */
async function allow(url: string): Promise<string> {
  const jar = new CookieJar();
  const { response, url: landed } = await jar.navigate(url);
  expect(new URL(landed).pathname).toBe('/oauth/callback');
  const html = await response.text();
  expect(response.status, html).toBe(200);
  return html;
}

async function vmesh(args: string[], extraEnv: Record<string, string> = {}) {
  const bin = resolve(import.meta.dirname, '../bin/vmesh.mjs');
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        VMESH_SECRET_KEY: secretKey,
        VMESH_PUBLIC_URL: publicUrl,
        ...extraEnv,
      },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function stored(name: string): Promise<OAuth2Credential> {
  return OAuth2Credential.parse((await store.get(name, { recordUse: false }))?.secret);
}

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  const port = await findFreePort();
  publicUrl = `http://127.0.0.1:${port}`;
  provider = await startAuthorizationCodeServer({
    redirectUri: `${publicUrl}/oauth/callback`,
    tokenEndpointAuthMethod: 'client_secret_post',
  });
  googleEnv = {
    VMESH_OAUTH_GOOGLE_CLIENT_ID: provider.clientId,
    VMESH_OAUTH_GOOGLE_CLIENT_SECRET: provider.clientSecret,
    VMESH_OAUTH_GOOGLE_AUTHORIZE_URL: provider.authorizeUrl,
    VMESH_OAUTH_GOOGLE_TOKEN_URL: provider.tokenUrl,
  };
  app = await startSignedApp(
    db,
    {
      VMESH_SECRET_KEY: secretKey,
      VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
      VMESH_API_TOKEN: apiToken,
      VMESH_PUBLIC_URL: publicUrl,
      ...googleEnv,
    },
    port,
  );
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: credentialTypesOf([httpConnector]),
  });
}, 90_000);

afterAll(async () => {
  await app?.stop();
  await provider?.close();
  await db?.drop();
});

describe('connecting an oauth2 credential with a provider preset', () => {
  it('POST { type: oauth2, provider: google }: the preset and the configured app, no URLs or secrets given', async () => {
    // The provider refreshes only for offline_access: the given scopes replace Google's defaults.
    const made = await connectLink('gdrive', {
      type: 'oauth2',
      provider: 'google',
      fields: { scopes: ['openid', 'offline_access'] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const opened = await fetch(made.body.url ?? '', { redirect: 'manual' });
    const location = new URL(opened.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(provider.authorizeUrl);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: provider.clientId,
      scope: 'openid offline_access',
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      redirect_uri: `${publicUrl}/oauth/callback`,
    });

    // A second link, this one followed through login and consent.
    const link = await connectLink('gdrive', {
      type: 'oauth2',
      provider: 'google',
      fields: { scopes: ['openid', 'offline_access'] },
    });
    expect(await allow(link.body.url ?? '')).toContain('Connected');
    const credential = await stored('gdrive');
    expect(credential).toMatchObject({
      provider: 'google',
      clientId: provider.clientId,
      tokenUrl: provider.tokenUrl,
    });
    expect(credential.refreshToken).toBeTruthy();
    expect((await provider.introspect(credential.accessToken)).active).toBe(true);
  }, 60_000);

  it('POST /api/credentials/:name/test renews the stale token of a preset credential at the provider', async () => {
    const before = await stored('gdrive');
    await store.updateLocked('gdrive', async () => ({
      result: undefined,
      secret: { ...before, expiresAt: new Date(Date.now() - 1000).toISOString() },
    }));
    const grants = provider.refreshGrants();
    const response = await fetch(`${app.url}/api/credentials/gdrive/test`, {
      method: 'POST',
      headers: { authorization: auth.authorization },
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ name: 'gdrive', ok: true });
    expect(provider.refreshGrants()).toBe(grants + 1);
    const after = await stored('gdrive');
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(text).not.toContain(after.accessToken);
    expect(text).not.toContain(provider.clientSecret);
  }, 60_000);

  it('the real process: `vmesh credentials connect NAME --type oauth2 --provider google --scopes …`', async () => {
    const result = await vmesh(
      [
        'credentials',
        'connect',
        'gmail',
        '--type',
        'oauth2',
        '--provider',
        'google',
        '--scopes',
        'openid offline_access',
        '--json',
      ],
      googleEnv,
    );
    expect(result.code, result.stderr).toBe(0);
    const { url } = JSON.parse(result.stdout) as { url: string };
    expect(url.startsWith(`${publicUrl}/connect/`)).toBe(true);
    expect(await allow(url)).toContain('Connected');
    expect(await stored('gmail')).toMatchObject({ provider: 'google', scopes: ['openid', 'offline_access'] });
    expect(result.stdout + result.stderr).not.toContain(provider.clientSecret);

    // `vmesh credentials test` renews it once it is stale (through the provider's rules: client_secret_post).
    const before = await stored('gmail');
    await store.updateLocked('gmail', async () => ({
      result: undefined,
      secret: { ...before, expiresAt: new Date(Date.now() - 1000).toISOString() },
    }));
    const tested = await vmesh(['credentials', 'test', 'gmail', '--json'], {
      VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    });
    expect(tested.code, tested.stderr).toBe(0);
    expect(JSON.parse(tested.stdout)).toMatchObject({ name: 'gmail', ok: true });
    expect((await stored('gmail')).accessToken).not.toBe(before.accessToken);
  }, 90_000);

  it('an app this installation did not configure: the error names the env vars (CLI and API); explicit flags override', async () => {
    const cli = await vmesh(['credentials', 'connect', 'crm', '--type', 'oauth2', '--provider', 'hubspot']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('VMESH_OAUTH_HUBSPOT_CLIENT_ID');
    expect(cli.stderr).toContain('VMESH_OAUTH_HUBSPOT_CLIENT_SECRET');
    expect(cli.stderr).toContain('developers.hubspot.com');

    const api = await connectLink('team', { type: 'oauth2', provider: 'slack' });
    expect(api.status).toBe(400);
    expect(api.body.error?.message).toContain('VMESH_OAUTH_SLACK_CLIENT_ID');
    const unknown = await connectLink('team', { type: 'oauth2', provider: 'myspace' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toContain('No OAuth2 provider "myspace"');

    // A reconnect names nothing: the stored credential's provider, scopes and the installation's app.
    const again = await connectLink('gdrive', { type: 'oauth2' });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const back = new URL(
      (await fetch(again.body.url ?? '', { redirect: 'manual' })).headers.get('location') ?? '',
    );
    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      client_id: provider.clientId,
      scope: 'openid offline_access',
      access_type: 'offline',
    });

    // The installation's client secret goes to no endpoint a person names.
    const elsewhere = await connectLink('steal', {
      type: 'oauth2',
      provider: 'google',
      fields: { tokenUrl: 'https://attacker.example/token' },
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error?.message).toContain('give the client id and secret too');

    // Slack's endpoints and scopes (comma-separated), the app given by hand.
    const given = await connectLink('team', {
      type: 'oauth2',
      provider: 'slack',
      fields: { clientId: '111.222', clientSecret: 'slack-secret-given-0123' },
    });
    expect(given.status, JSON.stringify(given.body)).toBe(200);
    const location = new URL(
      (await fetch(given.body.url ?? '', { redirect: 'manual' })).headers.get('location') ?? '',
    );
    expect(location.origin + location.pathname).toBe('https://slack.com/oauth/v2/authorize');
    expect(location.searchParams.get('client_id')).toBe('111.222');
    expect(location.searchParams.get('scope')).toBe(
      'chat:write,reactions:write,users:read,users:read.email,channels:history',
    );
    expect(location.searchParams.get('prompt')).toBeNull();
  }, 90_000);

  it('half an app in the environment stops the server and the CLI, naming the missing variable', async () => {
    const cli = await vmesh(['credentials', 'connect', 'x', '--type', 'oauth2', '--provider', 'google'], {
      VMESH_OAUTH_GOOGLE_CLIENT_ID: 'only-the-id',
    });
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('VMESH_OAUTH_GOOGLE_CLIENT_SECRET is missing');
    expect(() => parseServerConfig({ VMESH_OAUTH_GOOGLE_CLIENT_SECRET: 'only-the-secret' })).toThrow(
      /Invalid server configuration: .*VMESH_OAUTH_GOOGLE_CLIENT_ID is missing/,
    );
  }, 60_000);
});
