import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type Principal, toPrincipal } from '../../access/index.ts';
import type { RunningApp } from '../../app/start.ts';
import { createLoginLink } from '../../app/web-auth/login-links.ts';
import { startSignedApp } from '../../app/web-auth/testing/signed-app.ts';
import {
  builtinConnectors,
  type CredentialStore,
  createCredentialStore,
  credentialTypesOf,
  parseSecretKey,
} from '../../connectors/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`SKIPPED credentials browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

// The Credentials page in Debian chromium, against the app as `npm start` runs it: a builder signs in with a
// one-time link, sees her credentials with their state and users, tests, reconnects (through the paste form the
// link opens), renames and deletes one an active workflow uses; no secret ever reaches the page.

const SHARED = `shared-${randomBytes(12).toString('hex')}`;
const secretKey = randomBytes(32).toString('base64');
const canary = `canary-${randomBytes(8).toString('hex')}-Secret+/=`;
const replaced = `${canary}-replaced`;

describe.skipIf(!hasChromium)('the Credentials page in a real browser (Debian chromium)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let store: CredentialStore;
  let bea: Principal;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  let workflowId = '';
  /** Every answer the browser got from the server, swept for the canary at the end. */
  const bodies: Promise<string>[] = [];
  const cspViolations: string[] = [];

  const api = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    expect(response.ok, `${method} ${path}: ${text}`).toBe(true);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const row = (name: string) => page.locator(`tr[data-credential="${name}"]`);
  const watch = (target: Page) => {
    target.on('response', (response) => {
      bodies.push(response.text().catch(() => ''));
    });
    target.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  };

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 8 });
    app = await startSignedApp(db, { VMESH_API_TOKEN: SHARED, VMESH_SECRET_KEY: secretKey });
    const user = await createUser(db.sql, { name: 'bea', role: 'builder' });
    bea = toPrincipal(user, 'cli', 'local:bea');
    store = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(secretKey),
      types: credentialTypesOf(builtinConnectors),
    });
    await store.set('apiOne', 'bearer', { token: canary }, bea);
    await store.set('apiTwo', 'bearer', { token: `${canary}-two` }, bea);
    // An active workflow of bea's uses apiOne.
    const { token } = await api(SHARED, 'POST', '/api/tokens', { user: 'bea', name: 'bea-token' });
    const created = await api(String(token), 'POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'Nightly export',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'call',
            uses: 'http.request',
            credential: 'apiOne',
            with: { method: 'GET', url: 'https://api.example.com/export' },
          },
        ],
        edges: [],
      },
      scope: 'workspace',
    });
    workflowId = String(created.id);
    await api(String(token), 'POST', `/api/workflows/${workflowId}/activate`);

    profile = await mkdtemp(join(tmpdir(), 'vmesh-chromium-credentials-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 800 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage();
    watch(page);
    const link = await createLoginLink(db.sql, user.id, 60_000);
    await page.goto(`${app.url}/auth/link/${link.token}`);
    await page.getByRole('button', { name: 'Sign in as bea' }).click();
    await page.getByTestId('who').waitFor();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await app?.stop();
    await db?.drop();
  });

  it('lists the credentials with their state, users and owner, and tests one', async () => {
    await page.getByRole('link', { name: 'Credentials' }).click();
    await page.getByRole('heading', { name: 'Credentials', level: 1 }).waitFor();
    await row('apiTwo').waitFor();
    expect(await page.locator('tr[data-credential]').count()).toBe(2);
    expect(await row('apiOne').getByTestId('state').textContent()).toBe('connected');
    expect(await row('apiOne').textContent()).toContain('bearer');
    expect(await row('apiOne').textContent()).toContain('bea · private');
    expect(await row('apiOne').textContent()).toContain('never');
    const used = row('apiOne').getByRole('link', { name: 'Nightly export' });
    expect(await used.getAttribute('href')).toBe(`#/workflows/${workflowId}`);
    expect(await row('apiOne').textContent()).toContain('Nightly export (active)');
    expect(await row('apiTwo').textContent()).toContain('none');

    await row('apiOne').getByRole('button', { name: 'Test apiOne' }).click();
    const result = row('apiOne').getByTestId('test-result');
    await result.waitFor();
    expect(await result.textContent()).toContain('Not checked with the vendor');
    expect(await result.textContent()).toContain('No test for type "bearer"');
  }, 60_000);

  it('marks a credential that needs a reconnect, and reconnects it in place through the paste form', async () => {
    await store.setState('apiTwo', 'needs_reconnect', 'The vendor refused it: invalid_auth');
    await page.reload();
    await row('apiTwo').waitFor();
    expect(await row('apiTwo').getByTestId('state').textContent()).toBe(
      '⚠ needs reconnectThe vendor refused it: invalid_auth',
    );
    expect(await row('apiTwo').getAttribute('class')).toContain('attention');
    expect(await row('apiOne').getAttribute('class')).not.toContain('attention');
    await page.screenshot({ path: join(tmpdir(), 'vmesh-web-credentials.png'), fullPage: true });

    await row('apiTwo').getByRole('button', { name: 'Reconnect apiTwo' }).click();
    const link = row('apiTwo').getByRole('link', { name: 'Connect apiTwo' });
    await link.waitFor();
    expect(new URL(String(await link.getAttribute('href'))).pathname).toMatch(/^\/connect\/[\w-]{20,}$/);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener');
    const [form] = await Promise.all([browser.waitForEvent('page'), link.click()]);
    watch(form);
    await form.getByRole('heading', { name: 'Connect apiTwo' }).waitFor();
    const secret = form.locator('input[name="token"]');
    expect(await secret.getAttribute('type')).toBe('password');
    await secret.fill(replaced);
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('heading', { name: 'Connected' }).waitFor();
    await form.close();

    await page.reload();
    await row('apiTwo').waitFor();
    expect(await row('apiTwo').getByTestId('state').textContent()).toBe('connected');
    expect((await store.get('apiTwo', { recordUse: false }))?.secret).toEqual({ token: replaced });
  }, 60_000);

  it('renames a credential', async () => {
    page.once('dialog', (dialog) => void dialog.accept('apiTwoRenamed'));
    await row('apiTwo').getByRole('button', { name: 'Rename apiTwo' }).click();
    await row('apiTwoRenamed').getByText('Renamed from apiTwo.').waitFor();
    await row('apiTwo').waitFor({ state: 'detached' });
    expect(await row('apiTwo').count()).toBe(0);
    expect(await store.summary('apiTwo')).toBeUndefined();
  }, 60_000);

  it('refuses to delete a credential an active workflow uses, names the workflow, then deletes it anyway', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await row('apiOne').getByRole('button', { name: 'Delete apiOne' }).click();
    const refusal = row('apiOne').getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('is used by active workflows: "Nightly export"');
    expect(await refusal.getByRole('link', { name: 'Nightly export' }).getAttribute('href')).toBe(
      `#/workflows/${workflowId}`,
    );
    expect(await store.summary('apiOne')).toBeDefined();

    await refusal.getByRole('button', { name: 'Delete anyway' }).click();
    await page.getByText('Deleted apiOne.').waitFor();
    // The message shows before the list is drawn again: wait for the row to go.
    await row('apiOne').waitFor({ state: 'detached' });
    expect(await row('apiOne').count()).toBe(0);
    expect(await store.summary('apiOne')).toBeUndefined();
  }, 60_000);

  it('connects a new credential from the form, and shows an API error with its hint', async () => {
    await page.getByLabel('Name', { exact: true }).fill('newKey');
    await page.getByLabel('Type').selectOption('bearer');
    expect(await page.locator('.connect-new .hint').textContent()).toContain('access token');
    await page.getByRole('button', { name: 'Get a connect link' }).click();
    const link = page.locator('.connect-new').getByRole('link', { name: 'Connect newKey' });
    await link.waitFor();
    expect(new URL(String(await link.getAttribute('href'))).pathname).toMatch(/^\/connect\//);

    // oauth2 asks for the app's settings; without them the server refuses, and the page says why and what to do.
    await page.getByLabel('Name', { exact: true }).fill('newOauth');
    await page.getByLabel('Type').selectOption('oauth2');
    expect(await page.getByLabel('The client secret.').getAttribute('type')).toBe('password');
    expect(await page.getByLabel('The client id.').getAttribute('type')).toBe('text');
    await page.getByRole('button', { name: 'Get a connect link' }).click();
    const refusal = page.locator('.connect-new').getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('The oauth2 settings are not valid');
    expect(await refusal.locator('.hint').textContent()).toContain('--client-secret');
  }, 60_000);

  it('fits a phone screen, keeps its CSP, and never shows a secret', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.reload();
    await row('apiTwoRenamed').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(tmpdir(), 'vmesh-web-credentials-phone.png'), fullPage: true });

    const home = await fetch(`${app.url}/`);
    expect(home.headers.get('content-security-policy')).toBe(
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    );
    expect(cspViolations).toEqual([]);

    const shown = [await page.content(), await page.evaluate(() => document.body.innerText)].join('\n');
    expect(shown).toContain('apiTwoRenamed');
    const answered = (await Promise.all(bodies)).join('\n');
    expect(answered).toContain('apiTwoRenamed');
    for (const text of [shown, answered]) {
      expect(text).not.toContain(canary);
      expect(text).not.toContain('canary-');
    }
  }, 60_000);
});
