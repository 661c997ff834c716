import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { type RunningApp, startApp } from './start.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`SKIPPED form browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

const TOKEN = 'forms-browser-token-0123456789';
const owner = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const signup = {
  schemaVersion: 1,
  name: 'beta sign-ups',
  trigger: {
    type: 'form',
    with: {
      title: 'Join the beta',
      description: 'Two minutes, promised.',
      thankYou: 'Thanks, we will write to you.',
      fields: [
        { name: 'name', label: 'Your name', type: 'text', required: true },
        { name: 'email', label: 'Email', type: 'email', required: true },
        { name: 'size', label: 'Team size', type: 'number' },
        { name: 'plan', label: 'Plan', type: 'select', options: ['solo', 'team'], required: true },
        { name: 'start', label: 'Start date', type: 'date' },
        { name: 'notes', label: 'Anything else?', type: 'textarea' },
        { name: 'terms', label: 'I accept the terms', type: 'checkbox', required: true },
      ],
    },
  },
  nodes: [{ id: 'shape', uses: 'core.transform', with: { value: '{{ trigger.fields.email }}' } }],
  edges: [],
};

// A hosted form in Debian's chromium on a phone-sized screen: filled in, refused by the browser while a required
// field is empty, sent, thanked, and the run is there with the answers.
describe.skipIf(!hasChromium)('a hosted form on a phone (Debian chromium)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let profile: string;
  let browser: BrowserContext;
  let formId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: db.url,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      VMESH_SECRET_KEY: Buffer.alloc(32, 29).toString('base64'),
      VMESH_API_TOKEN: TOKEN,
    };
    delete env.VMESH_PUBLIC_URL;
    app = await startApp(env);
    const created = await fetch(`${app.url}/api/workflows`, {
      method: 'POST',
      headers: owner,
      body: JSON.stringify({ document: signup }),
    });
    formId = ((await created.json()) as { id: string }).id;
    await fetch(`${app.url}/api/workflows/${formId}/activate`, {
      method: 'POST',
      headers: { authorization: owner.authorization },
    });
    profile = await mkdtemp(join(tmpdir(), 'vmesh-chromium-form-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
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
    await db?.drop();
  });

  it('fills in the form, is thanked, and the run has the answers', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    let posts = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST') posts += 1;
    });
    await page.goto(`${app.url}/forms/${formId}`);
    await page.getByRole('heading', { name: 'Join the beta' }).waitFor();
    // It fits the phone: nothing wider than the screen.
    const width = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
    }));
    expect(width.scroll).toBeLessThanOrEqual(width.inner);

    await page.getByLabel('Your name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Team size').fill('12');
    await page.getByLabel('Plan').selectOption('team');
    await page.getByLabel('Start date').fill('2030-01-31');
    await page.getByLabel('Anything else?').fill('See you soon');
    // The browser itself refuses while a required box is not ticked: no request, no run.
    await page.getByRole('button', { name: 'Send' }).click();
    expect(
      await page.getByLabel('I accept the terms').evaluate((box) => (box as HTMLInputElement).validity.valid),
    ).toBe(false);
    expect((await db.sql`select count(*)::int as n from runs where workflow_id = ${formId}`)[0]?.n).toBe(0);

    await page.getByLabel('I accept the terms').check();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('heading', { name: 'Thank you' }).waitFor();
    expect(await page.getByText('Thanks, we will write to you.').isVisible()).toBe(true);

    const [run] = await db.sql`select id, trigger from runs where workflow_id = ${formId}`;
    expect((run?.trigger as { fields?: unknown } | undefined)?.fields).toEqual({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      size: 12,
      plan: 'team',
      start: '2030-01-31',
      notes: 'See you soon',
      terms: true,
    });
    const view = await waitForRun(db.sql, String(run?.id));
    expect(view.status).toBe('succeeded');
    // Reloading the thank-you page sends the same submission again: still one run.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.reload();
    await page.getByRole('heading', { name: 'Thank you' }).waitFor();
    expect(posts).toBe(2);
    expect((await db.sql`select count(*)::int as n from runs where workflow_id = ${formId}`)[0]?.n).toBe(1);
    expect(problems).toEqual([]);
  });

  it('a refused answer comes back marked and announced, with what was typed', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/forms/${formId}`);
    await page.getByLabel('Your name').fill('Grace');
    // A value only the server refuses (the browser's own check is switched off for this field).
    await page.getByLabel('Email').evaluate((input) => input.setAttribute('type', 'text'));
    await page.getByLabel('Email').fill('grace-at-example');
    await page.getByLabel('Plan').selectOption('solo');
    await page.getByLabel('I accept the terms').check();
    await page.getByRole('button', { name: 'Send' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Email: enter an email address');
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Your name').inputValue()).toBe('Grace');
    expect(await page.getByLabel('I accept the terms').isChecked()).toBe(true);
    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('heading', { name: 'Thank you' }).waitFor();
  });
});
