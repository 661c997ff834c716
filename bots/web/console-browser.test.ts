import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app/start.ts';
import { startSignedApp } from '../../app/web-auth/testing/signed-app.ts';
import {
  CHROMIUM,
  hasChromium,
  openSignedInBrowser,
  type SignedInBrowser,
} from '../../app/web-auth/testing/signed-in-browser.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';

if (!hasChromium)
  console.warn(`SKIPPED console browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

// The web console in Debian chromium, against the app as `npm start` runs it (embedded Postgres, its worker): a
// webhook workflow's page (URL, secret copied on request and never in the page, run now with checked JSON input,
// pause/resume, the diff between versions, roll back after a confirm showing the diff, delete); the run page (step
// input, output, attempts, duration, a skipped step, a failure with its hint, retry from the failed step and on the
// newest version); the runs list's filters and pages. Screenshots go to test-artifacts/screenshots/.

const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const API_TOKEN = `api-${randomBytes(12).toString('hex')}`;

describe.skipIf(!hasChromium)('the web console in a real browser (Debian chromium)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let vendor: Server;
  let vendorUrl = '';
  /** What the vendor's /orders answers: 500 while failing, else 200 (any other path: 200). */
  let vendorFails = true;
  let signedIn: SignedInBrowser | undefined;
  let page: Page;

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    expect(response.ok, `${method} ${path}: ${text}`).toBe(true);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const settled = async (runId: string) => {
    for (let i = 0; i < 600; i += 1) {
      const run = await api('GET', `/api/runs/${runId}`);
      if (['succeeded', 'failed', 'cancelled'].includes(String(run.status))) return String(run.status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`run ${runId} did not settle`);
  };
  /** The diff's removed or added lines, spaces collapsed (the indent is the document's). */
  const linesOf = async (scope: Locator, kind: 'removed' | 'added') =>
    (await scope.locator(`[data-diff="${kind}"]`).allTextContents()).map((text) =>
      text.replace(/\s+/g, ' ').trim(),
    );
  const shot = (name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase({ poolSize: 8 });
    vendor = createServer((request, response) => {
      const failing = request.url?.startsWith('/orders') && vendorFails;
      response.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(failing ? { error: 'orders are down' } : { orders: [42] }));
    });
    await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
    const address = vendor.address();
    vendorUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    app = await startSignedApp(db, {
      VMESH_API_TOKEN: API_TOKEN,
      VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
      VMESH_NO_WORKER: '0',
    });
    signedIn = await openSignedInBrowser(db.sql, app.url, {
      profile: 'console',
      viewport: { width: 1100, height: 800 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    page = signedIn.page;
  }, 120_000);

  afterAll(async () => {
    await signedIn?.close();
    await app?.stop();
    vendor?.closeAllConnections();
    await new Promise((resolve) => vendor?.close(resolve));
    await db?.drop();
  });

  it('a webhook workflow’s page: URL, secret on request, run now, pause/resume, diff, roll back, delete', async () => {
    const greeter = (greeting: string) => ({
      schemaVersion: 1,
      name: 'greeter',
      trigger: { type: 'webhook' },
      nodes: [
        { id: 'greet', uses: 'core.transform', with: { value: { text: `${greeting} {{ trigger.name }}` } } },
      ],
      edges: [],
    });
    const { id } = (await api('POST', '/api/workflows', {
      document: greeter('Hello'),
      scope: 'workspace',
    })) as {
      id: string;
    };
    await api('PUT', `/api/workflows/${id}`, { document: greeter('Hi') });
    await api('POST', `/api/workflows/${id}/activate`);
    const [row] = await db.sql`select hook_secret from workflows where id = ${id}`;
    const secret = String(row?.hookSecret);

    await page.goto(`${app.url}/#/workflows/${id}`);
    await page.getByRole('heading', { name: /greeter/ }).waitFor();
    expect(await page.getByTestId('hook-url').textContent()).toBe(`${app.url}/hooks/${id}`);
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByTestId('copy-status').getByText('Webhook secret copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(await page.content()).not.toContain(secret);
    await shot('workflow');

    // Pause, then resume: the badge and the stored state follow.
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await page.locator('h1 .badge').textContent()).toBe('inactive');
    expect((await db.sql`select active from workflows where id = ${id}`)[0]?.active).toBe(false);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await db.sql`select active from workflows where id = ${id}`)[0]?.active).toBe(true);

    // The diff between v1 and v2.
    const v2 = page.locator('[data-testid="version"][data-version="2"]');
    await v2.getByRole('button', { name: 'Show changes' }).click();
    const diff = v2.getByTestId('diff');
    await diff.waitFor();
    expect(await linesOf(diff, 'removed')).toEqual(['- "text": "Hello {{ trigger.name }}"']);
    expect(await linesOf(diff, 'added')).toEqual(['+ "text": "Hi {{ trigger.name }}"']);
    expect(await diff.textContent()).toContain('1 line removed, 1 added');

    // Run now: the input is checked before anything is sent.
    await page.getByRole('button', { name: 'Run now' }).click();
    const input = page.getByLabel(/Input \(optional JSON object/);
    await input.fill('{"name":');
    await page.getByRole('button', { name: 'Start the run' }).click();
    await page
      .getByRole('alert')
      .getByText(/The input is not valid JSON/)
      .waitFor();
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    await input.fill('[1, 2]');
    await page.getByRole('button', { name: 'Start the run' }).click();
    await page.getByRole('alert').getByText('The input must be a JSON object').waitFor();
    expect(await db.sql`select id from runs where workflow_id = ${id}`).toHaveLength(0);
    await input.fill('{"name": "Ada"}');
    await page.getByRole('button', { name: 'Start the run' }).click();
    await page.waitForURL(/#\/runs\/run_/);
    const step = page.locator('[data-testid="step"][data-step-id="greet"]');
    await step.locator('[data-status="succeeded"]').first().waitFor({ timeout: 30_000 });
    expect(await step.getByTestId('step-facts').textContent()).toMatch(/1 attempt · \d+(\.\d)? (ms|s)/);
    await step.getByText('Output', { exact: true }).click();
    expect(await step.getByTestId('step-output-json').textContent()).toContain('"text": "Hi Ada"');
    await step.getByText('Input', { exact: true }).click();
    await step.getByTestId('step-input-json').waitFor();
    expect(await step.getByTestId('step-input-json').textContent()).toContain('Hi Ada');
    await shot('run-succeeded');

    // Roll back to v1: the confirm step shows what changes, from the current version to v1.
    await page.goto(`${app.url}/#/workflows/${id}`);
    const v1 = page.locator('[data-testid="version"][data-version="1"]');
    await v1.getByRole('button', { name: 'Roll back to v1' }).click();
    const panel = v1.getByTestId('confirm-panel');
    await panel.getByTestId('diff').waitFor();
    expect(await linesOf(panel, 'removed')).toEqual(['- "text": "Hi {{ trigger.name }}"']);
    expect(await linesOf(panel, 'added')).toEqual(['+ "text": "Hello {{ trigger.name }}"']);
    expect(await panel.textContent()).toContain('From v2 (current) to v1');
    await shot('rollback-confirm');
    await panel.getByRole('button', { name: 'Roll back to v1' }).click();
    await page.getByText('Version 3 · trigger: webhook').waitFor();
    const [current] = await db.sql`
      select v.document #>> '{nodes,0,with,value,text}' as text from workflows w
      join workflow_versions v on v.workflow_id = w.id and v.version = w.current_version where w.id = ${id}`;
    expect(current?.text).toBe('Hello {{ trigger.name }}');

    // Delete, after a confirm; Cancel (or Escape) leaves it.
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('confirm-panel').getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByTestId('confirm-panel').count()).toBe(0);
    await page.getByRole('button', { name: 'Delete' }).click();
    await shot('delete-confirm');
    await page.getByRole('button', { name: 'Delete workflow' }).click();
    await page.waitForURL(/#\/workflows$/);
    expect(await db.sql`select id from workflows where id = ${id} and deleted_at is null`).toHaveLength(0);
  }, 180_000);

  it('the run page: attempts, a skipped step, the failure’s hint, retry from here and on the newest version', async () => {
    const orders = (path: string) => ({
      schemaVersion: 1,
      name: 'orders',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'gate', uses: 'core.if', with: { condition: '{{ trigger.big = true }}' } },
        { id: 'alarm', uses: 'core.transform', with: { value: 'big order' } },
        {
          id: 'fetch',
          uses: 'http.request',
          retry: { maxAttempts: 2, initialDelayMs: 50 },
          with: { url: `${vendorUrl}${path}` },
        },
      ],
      edges: [
        { from: 'gate', to: 'alarm', branch: 'true' },
        { from: 'gate', to: 'fetch', branch: 'false' },
      ],
    });
    const { id } = (await api('POST', '/api/workflows', {
      document: orders('/orders'),
      scope: 'workspace',
    })) as {
      id: string;
    };
    await api('POST', `/api/workflows/${id}/activate`);
    vendorFails = true;
    const runId = String((await api('POST', `/api/workflows/${id}/runs`, { input: { big: false } })).runId);
    expect(await settled(runId)).toBe('failed');
    const [stored] = await db.sql`select error from steps where run_id = ${runId} and node_id = 'fetch'`;
    const storedError = stored?.error as { code: string; hint?: string };

    await page.goto(`${app.url}/#/runs/${runId}`);
    const fetchStep = page.locator('[data-testid="step"][data-step-id="fetch"]');
    await fetchStep.getByTestId('step-error').waitFor({ timeout: 30_000 });
    expect(await fetchStep.getByTestId('step-facts').textContent()).toMatch(/2 attempts/);
    expect(await fetchStep.getByTestId('step-error').textContent()).toContain(storedError.code);
    expect(storedError.hint, 'the connector gives a hint').toBeTruthy();
    expect(await fetchStep.getByTestId('step-hint').textContent()).toBe(`Hint: ${storedError.hint}`);
    const skipped = page.locator('[data-testid="step"][data-step-id="alarm"]');
    expect(await skipped.getAttribute('data-status')).toBe('skipped');
    expect(await skipped.getByTestId('step-facts').textContent()).toContain('skipped');
    expect(await page.getByTestId('run-error').textContent()).toContain(storedError.code);
    await shot('run-failed');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('run-failed-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    vendorFails = false;
    await fetchStep.getByRole('button', { name: 'Retry from here', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.locator('h1 .badge', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    expect(await fetchStep.getByTestId('step-facts').textContent()).toMatch(/1 attempt/);
    await fetchStep.getByText('Output', { exact: true }).click();
    expect(await fetchStep.getByTestId('step-output-json').textContent()).toContain('42');
    const runs = await db.sql`select id, status from runs where workflow_id = ${id}`;
    expect(runs).toEqual([{ id: runId, status: 'succeeded' }]);

    // A second failure, then a fixed version 2: the run resumes on it from the failed step.
    vendorFails = true;
    const second = String((await api('POST', `/api/workflows/${id}/runs`, { input: { big: false } })).runId);
    expect(await settled(second)).toBe('failed');
    await api('PUT', `/api/workflows/${id}`, { document: orders('/fixed') });
    await page.goto(`${app.url}/#/runs/${second}`);
    const latest = page.getByRole('button', { name: 'Retry from here on the newest version (v2)' });
    await latest.waitFor({ timeout: 30_000 });
    await shot('run-retry-choice');
    await latest.click();
    await page.locator('h1 .badge', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('main p.muted').first().textContent()).toContain('version 2');
    expect((await db.sql`select version from runs where id = ${second}`)[0]?.version).toBe(2);
  }, 180_000);

  it('the runs list: filters by workflow, status and day, a page at a time', async () => {
    const lister = (await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'lister',
        trigger: { type: 'manual' },
        nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
        edges: [],
      },
      scope: 'workspace',
    })) as { id: string };
    const made: string[] = [];
    for (let i = 0; i < 12; i += 1)
      made.push(String((await api('POST', `/api/workflows/${lister.id}/runs`, {})).runId));
    for (const runId of made) await settled(runId);
    const broken = (await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'broken',
        trigger: { type: 'manual' },
        nodes: [
          { id: 'b', uses: 'core.code', retry: { maxAttempts: 1 }, with: { code: 'throw new Error("no")' } },
        ],
        edges: [],
      },
      scope: 'workspace',
    })) as { id: string };
    const failedRun = String((await api('POST', `/api/workflows/${broken.id}/runs`, {})).runId);
    expect(await settled(failedRun)).toBe('failed');

    await page.goto(`${app.url}/#/runs`);
    await page.getByRole('heading', { name: 'Runs', exact: true }).waitFor();
    await page.getByLabel('Workflow', { exact: true }).selectOption({ label: 'lister' });
    await page.getByLabel('Per page', { exact: true }).selectOption('10');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(new RegExp(`workflowId=${lister.id}`));
    const rows = page.getByTestId('run-row');
    await page.getByTestId('page-range').getByText('Runs 1–10').waitFor();
    expect(await rows.count()).toBe(10);
    expect(await rows.first().getAttribute('data-run-id')).toBe(made[11]);
    await shot('runs-list');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('runs-list-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('link', { name: 'Older runs' }).click();
    await page.getByTestId('page-range').getByText('Runs 11–12').waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.last().getAttribute('data-run-id')).toBe(made[0]);
    expect(await page.getByRole('link', { name: 'Older runs' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Newer runs' }).click();
    await page.getByTestId('page-range').getByText('Runs 1–10').waitFor();

    // Failed runs of any workflow: only the broken one.
    await page.getByLabel('Workflow', { exact: true }).selectOption({ label: 'All workflows' });
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/status=failed/);
    await page.locator(`[data-testid="run-row"][data-run-id="${failedRun}"]`).waitFor();
    const failedIds = await rows.evaluateAll((list) => list.map((row) => row.getAttribute('data-run-id')));
    const failedInDb = await db.sql`select id from runs where status = 'failed'`;
    expect(failedIds.sort()).toEqual(failedInDb.map((run) => String(run.id)).sort());
    await shot('runs-failed');

    // Days: from tomorrow nothing; today includes them.
    const day = (offset: number) => {
      const date = new Date(Date.now() + offset * 86_400_000);
      return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
    };
    await page.goto(`${app.url}/#/runs?from=${day(1)}`);
    await page.getByTestId('no-runs').waitFor();
    await page.goto(`${app.url}/#/runs?status=failed&from=${day(0)}&to=${day(0)}`);
    await page.locator(`[data-testid="run-row"][data-run-id="${failedRun}"]`).waitFor();
  }, 180_000);
});
