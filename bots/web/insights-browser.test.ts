import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
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
  console.warn(`SKIPPED insights page browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

// The Insights section in Debian chromium, against the app as `npm start` runs it (with its worker): runs that
// succeed and fail draw stacked SVG bars of runs per day, the figures and the per-workflow table follow, and what
// it adds reads at WCAG AA contrast in the light and the dark scheme.

const API_TOKEN = `api-${randomBytes(12).toString('hex')}`;

/** Text below 4.5:1 and chart bars below 3:1 against what is behind them, as [what, ratio] pairs. */
async function lowContrast(page: Page): Promise<[string, number][]> {
  return page.evaluate(() => {
    const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
      const channel = (c: number) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const ratio = (a: string, b: string) => {
      const [x, y] = [luminance(rgb(a)), luminance(rgb(b))].sort((p, q) => q - p);
      return ((x ?? 0) + 0.05) / ((y ?? 0) + 0.05);
    };
    const behind = (element: Element): string => {
      for (let node: Element | null = element; node; node = node.parentElement) {
        const color = getComputedStyle(node).backgroundColor;
        const alpha = rgb(color)[3];
        if (color !== 'transparent' && (alpha === undefined || alpha > 0)) return color;
      }
      return getComputedStyle(document.body).backgroundColor;
    };
    const failures: [string, number][] = [];
    const root = document.querySelector('.insights');
    if (!root) return [['no .insights section', 0]];
    for (const element of root.querySelectorAll(
      'h1, h2, dt, dd, th, td, a, label, select, figcaption, li, p, summary, text',
    )) {
      if (!element.textContent?.trim()) continue;
      const style = getComputedStyle(element);
      const color = element.tagName === 'text' ? style.fill : style.color;
      const contrast = ratio(
        color,
        behind(element.tagName === 'text' ? (element.closest('figure') ?? element) : element),
      );
      if (contrast < 4.5)
        failures.push([`${element.tagName} "${element.textContent.trim().slice(0, 30)}"`, contrast]);
    }
    for (const bar of root.querySelectorAll('rect.bar, .swatch')) {
      const fill =
        bar.tagName === 'rect' ? getComputedStyle(bar).fill : getComputedStyle(bar).backgroundColor;
      const contrast = ratio(fill, behind(bar.closest('figure') ?? bar));
      if (contrast < 3) failures.push([`${bar.getAttribute('class')}`, contrast]);
    }
    return failures;
  });
}

describe.skipIf(!hasChromium)('the insights page in a real browser (Debian chromium)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let signedIn: SignedInBrowser | undefined;
  let page: Page;
  let workflowId = '';

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

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 8 });
    app = await startSignedApp(db, { VMESH_API_TOKEN: API_TOKEN, VMESH_NO_WORKER: '0' });
    const created = await api('POST', '/api/workflows', {
      scope: 'workspace',
      document: {
        schemaVersion: 1,
        name: 'invoice totals',
        trigger: { type: 'manual' },
        nodes: [
          {
            id: 'total',
            uses: 'core.code',
            retry: { maxAttempts: 1 },
            with: {
              code: 'if (input < 0) throw new Error("negative"); return input * 2',
              input: '{{ trigger.n }}',
            },
          },
        ],
        edges: [],
      },
    });
    workflowId = String(created.id);
    await api('POST', `/api/workflows/${workflowId}/activate`);
    for (const n of [1, 2, 3, -1]) {
      const { runId } = (await api('POST', `/api/workflows/${workflowId}/runs`, { input: { n } })) as {
        runId: string;
      };
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [row] = await db.sql`select status from runs where id = ${runId}`;
        if (row && ['succeeded', 'failed'].includes(String(row.status))) break;
        if (Date.now() > deadline) throw new Error(`run ${runId} did not finish`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    signedIn = await openSignedInBrowser(db.sql, app.url, {
      profile: 'insights',
      viewport: { width: 1100, height: 900 },
    });
    page = signedIn.page;
  }, 120_000);

  afterAll(async () => {
    await signedIn?.close();
    await app?.stop();
    await db?.drop();
  });

  it('draws runs per day by status as an SVG chart, with the figures and the workflow table', async () => {
    await page.getByRole('link', { name: 'Insights' }).click();
    const chart = page.getByTestId('runs-chart');
    await chart.waitFor({ timeout: 30_000 });
    expect(await chart.getAttribute('aria-label')).toContain('4 runs over');
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.locator(`rect.bar-succeeded[data-day="${today}"]`).count()).toBe(1);
    expect(await page.locator(`rect.bar-failed[data-day="${today}"]`).count()).toBe(1);
    // Stacked: three succeeded runs are three times as tall as the one that failed.
    const height = async (status: string) =>
      Number(await page.locator(`rect.bar-${status}[data-day="${today}"]`).getAttribute('height'));
    expect((await height('succeeded')) / (await height('failed'))).toBeCloseTo(3, 6);
    expect(await page.getByTestId('insights-runs').textContent()).toBe('4');
    expect(await page.getByTestId('insights-failure-rate').textContent()).toBe('25.0 %');
    expect(await page.getByTestId('insights-cpu').textContent()).toMatch(/^\d+\.\d{2} s$/);
    const table = page.getByTestId('insights-workflows');
    expect(await table.textContent()).toContain('invoice totals');
    expect(await page.locator('.insights-failing').textContent()).toContain(
      'total in invoice totals: 1 failures',
    );
    // No chart library and no CDN: the bundle drew it, and the page loaded nothing from elsewhere.
    const foreign = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((entry) => entry.name)
        .filter((name) => !name.startsWith(location.origin)),
    );
    expect(foreign).toEqual([]);
    expect(await lowContrast(page)).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'vmesh-web-insights.png'), fullPage: true });

    // One workflow, picked from the list: the same numbers for it alone.
    await page.locator('#insights-workflow').selectOption(workflowId);
    await page.locator('[data-testid="insights-workflows"]').waitFor({ state: 'detached' });
    expect(await page.getByTestId('insights-runs').textContent()).toBe('4');
  }, 90_000);

  it('keeps WCAG AA contrast in the dark scheme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${app.url}/#/insights`);
    await page.getByTestId('runs-chart').waitFor({ timeout: 30_000 });
    expect(await lowContrast(page)).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'vmesh-web-insights-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  }, 60_000);
});
