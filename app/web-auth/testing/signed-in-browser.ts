import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ensureLocalOwner } from '../../../access/index.ts';
import type { Sql } from '../../../db/index.ts';
import { createLoginLink } from '../login-links.ts';

/** Debian's chromium, the one browser these machines can install. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export type SignedInBrowser = { context: BrowserContext; page: Page; close(): Promise<void> };

/**
 * Headless chromium in a throw-away profile with one page signed in as the local owner through a one-time login
 * link, the way a person opens the link `vmesh start` prints.
 */
export async function openSignedInBrowser(
  sql: Sql,
  appUrl: string,
  options: {
    /** Names the profile directory, for telling leftovers apart. */
    profile: string;
    viewport: { width: number; height: number };
    permissions?: string[];
  },
): Promise<SignedInBrowser> {
  const profile = await mkdtemp(join(tmpdir(), `vmesh-chromium-${options.profile}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: options.viewport,
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
  const close = async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  };
  try {
    if (options.permissions) await context.grantPermissions(options.permissions, { origin: appUrl });
    const page = await context.newPage();
    const owner = await ensureLocalOwner(sql, 'cli');
    const { token } = await createLoginLink(sql, owner.userId, 60_000);
    await page.goto(`${appUrl}/auth/link/${token}`);
    await page.getByRole('button', { name: 'Sign in as owner' }).click();
    await page.getByTestId('who').waitFor();
    return { context, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}
