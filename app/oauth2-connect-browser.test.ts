import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../access/index.ts';
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
import { logger } from '../lib/logger.ts';
import { startRun } from '../runtime/engine/engine.ts';
import type { EngineWorker } from '../runtime/engine/worker.ts';
import { everyRowText, leakedForms, secretForms } from '../runtime/security/testing/secret-sweep.ts';
import { createEngineServices, type EngineServices } from '../runtime/services.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import type { RunningApp } from './start.ts';
import { createLoginLink } from './web-auth/login-links.ts';
import { startSignedApp } from './web-auth/testing/signed-app.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED oauth2 connect browser test: ${CHROMIUM} is missing`);

// Connecting an oauth2 credential from a link, in Debian chromium, against a real OAuth2/OpenID provider
// (oidc-provider: PKCE required, refresh tokens rotated); then http.request steps on real workers use it, renew it
// (before it expires, once when two workers race) and need a reconnect when the provider revokes it.

const apiToken = `shared-${randomBytes(12).toString('hex')}`;
const secretKey = randomBytes(32).toString('base64');
const auth = { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' };

let db: TestDatabase;
let provider: AuthorizationCodeServer;
let app: RunningApp;
let api: Server;
let apiUrl = '';
let engines: EngineServices[] = [];
let workers: EngineWorker[] = [];
let store: CredentialStore;
let profile: string;
let browser: BrowserContext;
const logLines: string[] = [];
const restore: (() => void)[] = [];
/** Every page's HTML, every API answer, and every authorization code seen: swept for secrets at the end. */
const pages: string[] = [];
const answers: string[] = [];
const codes: string[] = [];
const seenTokens: string[] = [];
/** The refresh token the proactive renewal replaced. */
let rotatedAway = '';

async function connectLink(name: string, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${app.url}/api/credentials/${name}/connect`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  });
  const text = await response.text();
  answers.push(text);
  expect(response.status, text).toBe(200);
  return (JSON.parse(text) as { url: string }).url;
}

const oauth2Fields = () => ({
  authorizeUrl: provider.authorizeUrl,
  tokenUrl: provider.tokenUrl,
  clientId: provider.clientId,
  clientSecret: provider.clientSecret,
  scopes: ['openid', 'offline_access'],
});

async function stored(name: string): Promise<OAuth2Credential> {
  const credential = await store.get(name, { recordUse: false });
  return OAuth2Credential.parse(credential?.secret);
}

async function connectInBrowser(name: string): Promise<void> {
  const url = await connectLink(name, { type: 'oauth2', fields: oauth2Fields() });
  const page = await browser.newPage();
  page.on('request', (request) => {
    const code = new URL(request.url()).searchParams.get('code');
    if (code) codes.push(code);
  });
  await page.goto(url);
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/oauth/callback');
  pages.push(await page.content());
  await page.close();
}

async function runCall(engine: EngineServices, name: string, credential: string) {
  const { id } = await engine.workflows.create({
    schemaVersion: 1,
    name,
    trigger: { type: 'manual' },
    nodes: [
      {
        id: 'call',
        uses: 'http.request',
        credential,
        retry: { maxAttempts: 1 },
        with: { method: 'GET', url: `${apiUrl}/me` },
      },
    ],
    edges: [],
  });
  const { runId } = await startRun(db.sql, id, {});
  return waitForRun(db.sql, runId, { timeoutMs: 30_000 });
}

async function expire(name: string): Promise<void> {
  await store.updateLocked(name, async (current) => ({
    result: undefined,
    secret: {
      ...OAuth2Credential.parse(current.secret),
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    },
  }));
}

beforeAll(async () => {
  if (!hasChromium) return;
  const symbols = logger as unknown as Record<symbol, unknown>;
  const previousStream = symbols[pino.symbols.streamSym];
  const previousLevel = logger.level;
  symbols[pino.symbols.streamSym] = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  logger.level = 'trace';
  restore.push(() => {
    symbols[pino.symbols.streamSym] = previousStream;
    logger.level = previousLevel;
  });

  db = await createTestDatabase({ poolSize: 12 });
  const port = await findFreePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  provider = await startAuthorizationCodeServer({ redirectUri: `${publicUrl}/oauth/callback` });
  // A resource server: it asks the provider whether the bearer token is active.
  api = createServer((request, response) => {
    void (async () => {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      seenTokens.push(token);
      const said = token ? await provider.introspect(token) : { active: false };
      response
        .writeHead(said.active ? 200 : 401, { 'content-type': 'application/json' })
        .end(JSON.stringify(said.active ? { active: true, sub: said.sub } : { error: 'invalid_token' }));
    })();
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

  const env = { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' };
  app = await startSignedApp(
    db,
    { ...env, VMESH_API_TOKEN: apiToken, VMESH_PUBLIC_URL: publicUrl, VMESH_NO_WORKER: '1' },
    port,
  );
  const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
  // Two workers on one database, as two machines would run them.
  for (let index = 0; index < 2; index += 1) {
    const engine = await createEngineServices(database, { env, connectors: [httpConnector] });
    engines.push(engine);
    workers.push(await engine.startWorker({ concurrency: 2 }));
  }
  store = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: credentialTypesOf([httpConnector]),
  });
  profile = await mkdtemp(join(tmpdir(), 'vmesh-chromium-connect-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 400, height: 700 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  for (const worker of workers) await worker.stop();
  await app?.stop();
  await new Promise((resolve) => api?.close(resolve));
  await provider?.close();
  await db?.drop();
  for (const undo of restore) undo();
  engines = [];
  workers = [];
});

describe.skipIf(!hasChromium)(
  'connecting an oauth2 credential with a link (Debian chromium, real provider)',
  () => {
    it('link → provider consent → /oauth/callback → connected; a step sends the access token the provider accepts', async () => {
      await connectInBrowser('crm');
      const credential = await stored('crm');
      expect(credential.refreshToken).toBeTruthy();
      expect(credential.expiresAt).toBeTruthy();
      expect((await provider.introspect(credential.accessToken)).active).toBe(true);

      const view = await runCall(engines[0]!, 'call crm', 'crm');
      expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
      expect(view.output).toMatchObject({ status: 200, body: { active: true, sub: 'person-1' } });
      expect(seenTokens.at(-1)).toBe(credential.accessToken);

      const audit = await db.sql`select action from audit_log where subject_id = 'crm' order by id`;
      expect(audit.map((row) => row.action)).toEqual(
        expect.arrayContaining(['credential.connect_link_created', 'credential.connected']),
      );
    }, 60_000);

    it('renews an expired access token before the call and stores the rotated refresh token', async () => {
      const before = await stored('crm');
      await expire('crm');
      const grants = provider.refreshGrants();
      const view = await runCall(engines[0]!, 'call crm renewed', 'crm');
      expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
      expect(provider.refreshGrants()).toBe(grants + 1);
      const after = await stored('crm');
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(Date.parse(after.expiresAt ?? '')).toBeGreaterThan(Date.now());
      expect(seenTokens.at(-1)).toBe(after.accessToken);
      rotatedAway = before.refreshToken ?? '';
    }, 60_000);

    it('two workers racing to renew one credential: exactly one refresh request reaches the provider', async () => {
      await expire('crm');
      const grants = provider.refreshGrants();
      const views = await Promise.all([
        runCall(engines[0]!, 'race a', 'crm'),
        runCall(engines[1]!, 'race b', 'crm'),
        runCall(engines[0]!, 'race c', 'crm'),
        runCall(engines[1]!, 'race d', 'crm'),
      ]);
      for (const view of views) expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
      expect(provider.refreshGrants()).toBe(grants + 1);
      const after = await stored('crm');
      expect(seenTokens.slice(-4)).toEqual([
        after.accessToken,
        after.accessToken,
        after.accessToken,
        after.accessToken,
      ]);
    }, 90_000);

    it('an access token the API refuses (401) is renewed once and the call sent again', async () => {
      await store.updateLocked('crm', async (current) => ({
        result: undefined,
        secret: {
          ...OAuth2Credential.parse(current.secret),
          accessToken: `revoked-${randomBytes(16).toString('hex')}`,
        },
      }));
      const grants = provider.refreshGrants();
      const sent = seenTokens.length;
      const view = await runCall(engines[0]!, 'call crm after 401', 'crm');
      expect(view.status, JSON.stringify(view.error)).toBe('succeeded');
      expect(provider.refreshGrants()).toBe(grants + 1);
      const after = await stored('crm');
      expect(seenTokens.slice(sent)).toEqual([expect.stringMatching(/^revoked-/), after.accessToken]);
    }, 60_000);

    it('a revoked refresh token fails the step with E_CREDENTIAL_RECONNECT and marks it needs_reconnect', async () => {
      // Rotation: the refresh token renewed away no longer works (the provider then revokes the whole grant, which
      // is why this is asked only now); and the current one is revoked too.
      expect(await provider.tryRefresh(rotatedAway)).toMatchObject({ status: 400, error: 'invalid_grant' });
      const current = await stored('crm');
      await provider.revoke(current.refreshToken ?? '');
      await expire('crm');
      const view = await runCall(engines[1]!, 'call crm revoked', 'crm');
      expect(view.status).toBe('failed');
      const error = JSON.stringify(view.error);
      expect(error).toContain('E_CREDENTIAL_RECONNECT');
      expect(error).toContain('crm');
      expect(error).toContain('vmesh credentials connect crm');
      const listed = await fetch(`${app.url}/api/credentials`, { headers: auth });
      const text = await listed.text();
      answers.push(text);
      const crm = (JSON.parse(text) as { credentials: { name: string; state: string }[] }).credentials.find(
        (entry) => entry.name === 'crm',
      );
      expect(crm?.state).toBe('needs_reconnect');
    }, 60_000);

    it('an expired access token without a refresh token needs a reconnect', async () => {
      await store.set('no-refresh', 'oauth2', {
        ...oauth2Fields(),
        accessToken: `at-${randomBytes(16).toString('hex')}`,
        expiresAt: new Date(Date.now() - 60_000).toISOString(),
      });
      const view = await runCall(engines[0]!, 'call no-refresh', 'no-refresh');
      expect(view.status).toBe('failed');
      expect(JSON.stringify(view.error)).toContain('E_CREDENTIAL_RECONNECT');
      expect(JSON.stringify(view.error)).toContain('vmesh credentials connect no-refresh');
      expect((await store.summary('no-refresh'))?.state).toBe('needs_reconnect');
    }, 60_000);

    it('refuses a link used twice, an expired link, a tampered state, and a link opened by another signed-in person', async () => {
      const first = await connectLink('twice', { type: 'oauth2', fields: oauth2Fields() });
      const opened = await fetch(first, { redirect: 'manual' });
      expect(opened.status).toBe(302);
      const location = new URL(opened.headers.get('location') ?? '');
      expect(location.origin + location.pathname).toBe(provider.authorizeUrl);
      expect(Object.fromEntries(location.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: provider.clientId,
        redirect_uri: `${app.url}/oauth/callback`,
        code_challenge_method: 'S256',
      });
      expect(location.searchParams.get('state')).toBeTruthy();
      expect(location.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const again = await fetch(first, { redirect: 'manual' });
      expect(again.status).toBe(410);
      pages.push(await again.text());

      const tampered = await fetch(
        `${app.url}/oauth/callback?code=abc&state=${location.searchParams.get('state')}x`,
      );
      expect(tampered.status).toBe(400);
      pages.push(await tampered.text());

      const expired = await connectLink('expired', { type: 'bearer' });
      await db.sql`update connect_links set expires_at = now() - interval '1 second' where credential_name = 'expired'`;
      expect((await fetch(expired)).status).toBe(410);

      // Another person signed in in the browser: the owner's link is not theirs.
      const quinn = await createUser(db.sql, { name: 'quinn', role: 'builder' });
      const { token } = await createLoginLink(db.sql, quinn.id, 60_000);
      const other = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      });
      try {
        const page = await (await other.newContext()).newPage();
        await page.goto(`${app.url}/auth/link/${token}`);
        await page.getByRole('button', { name: 'Sign in as quinn' }).click();
        await page.waitForURL((url) => !url.pathname.startsWith('/auth/link/'));
        const link = await connectLink('not-quinns', { type: 'oauth2', fields: oauth2Fields() });
        const answer = await page.goto(link);
        expect(answer?.status()).toBe(403);
        pages.push(await page.content());
        // Still unused: the person who asked can open it.
        expect((await fetch(link, { redirect: 'manual' })).status).toBe(302);

        // quinn's own link (made from their web session) needs their session: without it, 401 and still unused.
        // (From a page of this server without the connect page's CSP, which allows no fetch.)
        await page.goto(`${app.url}/healthz`);
        const made = await page.evaluate(async (fields) => {
          const session = (await (await fetch('/auth/session')).json()) as { session: { csrfToken: string } };
          const response = await fetch('/api/credentials/quinns/connect', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': session.session.csrfToken },
            body: JSON.stringify({ type: 'oauth2', fields }),
          });
          return (await response.json()) as { url: string };
        }, oauth2Fields());
        const anonymous = await fetch(made.url, { redirect: 'manual' });
        expect(anonymous.status).toBe(401);
        pages.push(await anonymous.text());
        page.on('request', (request) => {
          const code = new URL(request.url()).searchParams.get('code');
          if (code) codes.push(code);
        });
        await page.goto(made.url);
        await page.getByRole('heading', { name: 'Connected' }).waitFor();
        pages.push(await page.content());
        const owned = await db.sql`
          select u.name from credentials c join users u on u.id = c.owner_id where c.name = 'quinns'`;
        expect(owned.map((row) => row.name)).toEqual(['quinn']);
      } finally {
        await other.close();
      }
    }, 60_000);

    it('a bearer link opens a form; a wrong entry names the field, a right one stores the credential', async () => {
      const url = await connectLink('pasted', { type: 'bearer' });
      const page = await browser.newPage();
      const answer = await page.goto(url);
      expect(answer?.headers()['content-security-policy']).toContain("default-src 'none'");
      const token = `pasted-${randomBytes(16).toString('hex')}`;
      await page.locator('input[name="token"]').fill(token);
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('heading', { name: 'Connected' }).waitFor();
      pages.push(await page.content());
      await page.close();
      expect((await store.get('pasted', { recordUse: false }))?.secret).toEqual({ token });
      expect((await fetch(url)).status).toBe(410);
      codes.push(token);

      const second = await connectLink('pasted-2', { type: 'api-key-header' });
      const form = await fetch(second);
      const html = await form.text();
      const formToken = /name="form" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const wrong = await fetch(second, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          form: formToken,
          name: 'bad header name!',
          value: 'k3y-value-not-echoed',
        }).toString(),
      });
      const wrongHtml = await wrong.text();
      expect(wrong.status).toBe(400);
      expect(wrongHtml).toContain('Check name');
      expect(wrongHtml).not.toContain('k3y-value-not-echoed');
      const forged = await fetch(second, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ form: 'forged', name: 'X-Key', value: 'v' }).toString(),
      });
      expect(forged.status).toBe(403);
    }, 60_000);

    it('no access or refresh token, client secret or code in logs, tables, API answers or pages', async () => {
      const credential = await stored('crm');
      const secrets = [
        provider.clientSecret,
        credential.accessToken,
        credential.refreshToken ?? '',
        ...seenTokens,
        ...codes,
      ].filter((secret) => secret.length >= 8);
      expect(secrets.length).toBeGreaterThan(5);
      const forms = secrets.flatMap(secretForms);
      const { rows } = await everyRowText(db.sql);
      expect(leakedForms(rows.join('\n'), forms)).toEqual([]);
      expect(leakedForms(logLines.join('\n'), forms)).toEqual([]);
      expect(leakedForms(answers.join('\n'), forms)).toEqual([]);
      expect(leakedForms(pages.join('\n'), forms)).toEqual([]);
    });
  },
);
