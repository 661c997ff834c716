import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
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
  console.warn(`SKIPPED console operations browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

// The console's operations in Debian chromium, against the app as `npm start` runs it (embedded Postgres, its
// worker): cancelling a waiting run from its page, renaming a workflow (an empty name refused in the page, the
// server's refusal shown as it says it), and retrying every run that failed the same way from one failed run's page.
// Each effect is checked in the database. Screenshots go to test-artifacts/screenshots/.

const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const API_TOKEN = `api-${randomBytes(12).toString('hex')}`;

describe.skipIf(!hasChromium)(
  'the web console’s run and workflow operations in a real browser (Debian chromium)',
  () => {
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
    const shot = (name: string) =>
      page.screenshot({ path: join(SCREENSHOTS, `console-ops-${name}.png`), fullPage: true });

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
        profile: 'console-ops',
        viewport: { width: 1100, height: 800 },
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

    /** The buttons' text against their background, in light and dark: WCAG AA (4.5:1) in both. */
    const expectAaContrast = async (selectors: string[]) => {
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        const ratios = await page.evaluate(contrastOf, selectors);
        expect(ratios, scheme).toHaveLength(selectors.length);
        for (const { selector, ratio } of ratios)
          expect(ratio, `${scheme} ${selector}`).toBeGreaterThanOrEqual(4.5);
      }
      await page.emulateMedia({ colorScheme: 'light' });
    };
    const workflow = async (document: Record<string, unknown>) => {
      const { id } = (await api('POST', '/api/workflows', { document, scope: 'workspace' })) as {
        id: string;
      };
      await api('POST', `/api/workflows/${id}/activate`);
      return id;
    };

    it('cancels a run parked on a delay from its page, and the button goes once the run has settled', async () => {
      const id = await workflow({
        schemaVersion: 1,
        name: 'sleeper',
        trigger: { type: 'manual' },
        nodes: [{ id: 'nap', uses: 'core.delay', with: { ms: 600_000 } }],
        edges: [],
      });
      const runId = String((await api('POST', `/api/workflows/${id}/runs`, {})).runId);
      // The run is parked on its delay (the run running, its step waiting): nothing settles it but a cancel.
      type Viewed = { status: string; steps: { id: string; status: string }[] };
      let run: Viewed = { status: '', steps: [] };
      for (let i = 0; i < 300; i += 1) {
        run = (await api('GET', `/api/runs/${runId}`)) as unknown as Viewed;
        if (run.steps.some((step) => step.id === 'nap' && step.status === 'waiting')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(run.steps.find((step) => step.id === 'nap')?.status).toBe('waiting');
      expect(run.status).toBe('running');
      await page.goto(`${app.url}/#/runs/${runId}`);
      const cancel = page.getByRole('button', { name: 'Cancel run' });
      await cancel.waitFor({ timeout: 30_000 });
      await shot('cancel-run');
      await expectAaContrast(['[data-testid="cancel-run"]']);
      await cancel.focus();
      await page.keyboard.press('Enter');
      await page
        .getByTestId('cancel-outcome')
        .getByText('The run was cancelled.')
        .waitFor({ timeout: 30_000 });
      await page.locator('h1 .badge', { hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
      expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
      expect((await db.sql`select status from runs where id = ${runId}`)[0]?.status).toBe('cancelled');
      expect(await api('GET', `/api/runs/${runId}`)).toMatchObject({ status: 'cancelled' });
      await shot('cancelled-run');

      // A settled run offers no cancel.
      await page.reload();
      await page.locator('h1 .badge', { hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
      expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    }, 180_000);

    it('renames a workflow inline: an empty name is refused in the page, the server’s refusal shown as it is', async () => {
      const id = await workflow({
        schemaVersion: 1,
        name: 'old name',
        trigger: { type: 'manual' },
        nodes: [{ id: 'a', uses: 'core.transform', with: { value: 1 } }],
        edges: [],
      });
      await page.goto(`${app.url}/#/workflows/${id}`);
      await page.getByRole('heading', { name: /old name/ }).waitFor();
      await page.getByRole('button', { name: 'Rename' }).click();
      const input = page.getByLabel('New name', { exact: true });
      expect(await input.inputValue()).toBe('old name');
      await expectAaContrast([
        '[data-testid="rename"]',
        '.rename button[type="submit"]',
        '.rename button[type="button"]',
      ]);
      await input.fill('   ');
      await page.getByRole('button', { name: 'Save name' }).click();
      await page.getByRole('alert').getByText('The name cannot be empty.').waitFor();
      expect(await input.getAttribute('aria-invalid')).toBe('true');

      // Too long for the server: its message is shown word for word.
      const tooLong = 'x'.repeat(201);
      const refused = await fetch(`${app.url}/api/workflows/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: tooLong }),
      });
      expect(refused.status).toBe(400);
      const serverMessage = ((await refused.json()) as { error: { message: string } }).error.message;
      await input.fill(tooLong);
      await page.getByRole('button', { name: 'Save name' }).click();
      const alert = page.getByRole('alert');
      await alert.getByText(/name/).first().waitFor();
      expect(await alert.locator('p.error').textContent()).toBe(serverMessage);
      expect((await db.sql`select name from workflows where id = ${id}`)[0]?.name).toBe('old name');
      await shot('rename-refused');

      await input.fill('invoice sorter');
      await input.press('Enter');
      await page.getByRole('heading', { name: /invoice sorter/ }).waitFor({ timeout: 30_000 });
      expect((await db.sql`select name from workflows where id = ${id}`)[0]?.name).toBe('invoice sorter');
      expect(await api('GET', `/api/workflows/${id}`)).toMatchObject({ name: 'invoice sorter' });
      await shot('renamed');
    }, 180_000);

    it('retries all runs that failed the same way from one failed run’s page', async () => {
      const id = await workflow({
        schemaVersion: 1,
        name: 'orders sync',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'fetch',
            uses: 'http.request',
            retry: { maxAttempts: 1 },
            with: { url: `${vendorUrl}/orders` },
          },
        ],
        edges: [],
      });
      vendorFails = true;
      const failed: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const runId = String((await api('POST', `/api/workflows/${id}/runs`, {})).runId);
        expect(await settled(runId)).toBe('failed');
        failed.push(runId);
      }
      const listed = (await api('GET', `/api/runs/failed?workflowId=${id}`)) as {
        failures: { runId: string; group: string }[];
      };
      expect(new Set(listed.failures.map((failure) => failure.group)).size).toBe(1);

      await page.goto(`${app.url}/#/runs/${failed[0]}`);
      const retryAll = page.getByRole('button', { name: 'Retry all 3 runs that failed the same way' });
      await retryAll.waitFor({ timeout: 30_000 });
      await shot('retry-group');
      await expectAaContrast(['[data-testid="retry-group"]']);
      await page.emulateMedia({ colorScheme: 'dark' });
      await shot('retry-group-dark');
      await page.emulateMedia({ colorScheme: 'light' });

      vendorFails = false;
      await retryAll.focus();
      await page.keyboard.press('Enter');
      const outcome = page.getByTestId('retried-all');
      await outcome.getByText('Retried 3 runs:').waitFor({ timeout: 30_000 });
      const linked = await outcome.getByRole('link').allTextContents();
      expect(linked.sort()).toEqual([...failed].sort());
      for (const runId of failed) expect(await settled(runId)).toBe('succeeded');
      await page.locator('h1 .badge', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
      await outcome.getByText('Retried 3 runs:').waitFor();
      const statuses = await db.sql`select status from runs where workflow_id = ${id}`;
      expect(statuses.map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      await shot('retried-group');

      // A run alone in its group gets no retry-all.
      vendorFails = true;
      const lone = String((await api('POST', `/api/workflows/${id}/runs`, {})).runId);
      expect(await settled(lone)).toBe('failed');
      const groupAsked = page.waitForResponse((response) => response.url().includes('/chat/api/runs/failed'));
      await page.goto(`${app.url}/#/runs/${lone}`);
      await page.getByRole('button', { name: 'Retry from here', exact: true }).waitFor({ timeout: 30_000 });
      await groupAsked;
      await page.getByTestId('failure-group').waitFor({ state: 'detached' });
      expect(await page.getByTestId('retry-group').count()).toBe(0);
    }, 180_000);
  },
);

/** In the page: each selector's first element, its text colour against the first opaque background at or above it. */
function contrastOf(selectors: string[]): { selector: string; ratio: number }[] {
  const parse = (color: string): number[] => {
    const parts = (/rgba?\(([^)]+)\)/.exec(color)?.[1] ?? '0 0 0 0')
      .split(/[ ,/]+/)
      .filter(Boolean)
      .map(Number);
    return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
  };
  const luminance = (rgb: number[]) => {
    const channel = (value: number) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(rgb[0] ?? 0) + 0.7152 * channel(rgb[1] ?? 0) + 0.0722 * channel(rgb[2] ?? 0);
  };
  const backgroundOf = (element: Element | null): number[] => {
    for (let node = element; node; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if ((color[3] ?? 0) > 0.5) return color;
    }
    return [255, 255, 255, 1];
  };
  return selectors.flatMap((selector) => {
    const element = document.querySelector(selector);
    if (!element) return [];
    const [x, y] = [luminance(parse(getComputedStyle(element).color)), luminance(backgroundOf(element))].sort(
      (p, q) => q - p,
    ) as [number, number];
    return [{ selector, ratio: (x + 0.05) / (y + 0.05) }];
  });
}
