import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../access/index.ts';
import { findFreePort } from '../../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import type { RunningApp } from '../start.ts';
import { createLoginLink } from './login-links.ts';
import { startSignedApp } from './testing/signed-app.ts';
import { startTestOidcProvider, type TestOidcProvider } from './testing/test-oidc-provider.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`SKIPPED sign-in browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

// The web page of a server that needs a sign-in, in Debian's chromium: the sign-in page, OIDC through a real
// provider, a one-time link, the signed-in name, and sign-out.
describe.skipIf(!hasChromium)('signing in on the web page (Debian chromium)', () => {
  let db: TestDatabase;
  let provider: TestOidcProvider;
  let app: RunningApp;
  let open: RunningApp;
  /** What the tokenless server printed at start: the owner's one-time sign-in link. */
  let announced = '';
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await findFreePort();
    provider = await startTestOidcProvider({ redirectUri: `http://127.0.0.1:${port}/auth/oidc/callback` });
    provider.accounts.set('pat-sub', {
      preferred_username: 'pat',
      email: 'pat@example.com',
      email_verified: true,
    });
    app = await startSignedApp(
      db,
      {
        VMESH_API_TOKEN: 'shared-token-0123456789abcdef',
        VMESH_OIDC_ISSUER: provider.issuer,
        VMESH_OIDC_CLIENT_ID: provider.clientId,
        VMESH_OIDC_CLIENT_SECRET: provider.clientSecret,
        VMESH_OIDC_DEFAULT_ROLE: 'viewer',
      },
      port,
    );
    open = await startSignedApp(db, {}, undefined, { announce: (text) => (announced += text) });
    profile = await mkdtemp(join(tmpdir(), 'vmesh-chromium-signin-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1000, height: 700 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await app?.stop();
    await open?.stop();
    await provider?.close();
    await db?.drop();
  });

  it('shows the sign-in page, signs in with OIDC, shows who is signed in, and signs out', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/#/workflows`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('vmesh login-link YOUR-NAME').count()).toBe(1);
    await page.screenshot({ path: join(tmpdir(), 'vmesh-web-sign-in.png') });

    provider.loginAs('pat-sub');
    await page.getByRole('link', { name: 'Sign in with your organization' }).click();
    await page.getByTestId('who').waitFor();
    expect(await page.getByTestId('who').textContent()).toBe('pat');
    // Back where the sign-in started.
    await page.getByRole('heading', { name: 'Workflows' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/workflows');
    await page.screenshot({ path: join(tmpdir(), 'vmesh-web-signed-in.png') });
    const cookies = await browser.cookies(app.url);
    expect(cookies.find((cookie) => cookie.name === 'vmesh_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await browser.cookies(app.url)).some((cookie) => cookie.name === 'vmesh_session')).toBe(false);
    await page.close();
  }, 60_000);

  it('signs in with a one-time link, and the chat works for that person (CSRF token sent)', async () => {
    const quinn = await createUser(db.sql, { name: 'quinn', role: 'operator' });
    const { token } = await createLoginLink(db.sql, quinn.id, 60_000);
    const page = await browser.newPage();
    await page.goto(`${app.url}/auth/link/${token}`);
    await page.getByRole('button', { name: 'Sign in as quinn' }).click();
    await page.getByTestId('who').waitFor();
    expect(await page.getByTestId('who').textContent()).toBe('quinn');
    // A state-changing call from the page: the decision is refused by the service (no such proposal), not by CSRF.
    const status = await page.evaluate(async () => {
      const session = (await (await fetch('/auth/session')).json()) as { session: { csrfToken: string } };
      const response = await fetch('/chat/api/decisions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.session.csrfToken },
        body: JSON.stringify({ proposalId: 'prp_none', decision: 'reject' }),
      });
      return response.status;
    });
    expect(status).toBe(200);
    await page.close();
  }, 60_000);

  it('on a loopback server without tokens, the cookie of an ended session is cleared, the page asks for a sign-in, and the link printed at start signs the owner in', async () => {
    const origin = new URL(open.url);
    await browser.addCookies([
      { name: 'vmesh_session', value: 'C'.repeat(43), domain: origin.hostname, path: '/', httpOnly: true },
    ]);
    const page = await browser.newPage();
    await page.goto(open.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('vmesh login-link owner').count()).toBe(1);
    expect(await page.getByText('the sign-in link that npm start printed').count()).toBe(1);
    const link = /Open (\S+) to sign in/.exec(announced)?.[1] ?? '';
    expect(new URL(link).origin).toBe(open.url);
    await page.goto(link);
    await page.getByRole('button', { name: 'Sign in as owner' }).click();
    await page.getByTestId('who').waitFor();
    expect(await page.getByTestId('who').textContent()).toBe('owner');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    await page.close();
  }, 60_000);
});
