import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ScriptedModelServer,
  type ScriptStep,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
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
  console.warn(`SKIPPED chat console browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

// The chat side of the web page in Debian chromium, against the app as `npm start` runs it (its worker runs
// self-healing), a real Postgres and the scripted model: the conversation survives a reload, a second request
// says what it replaces and "keep both" keeps the first open, a refused decision says so, a failing run brings a
// live fix card whose resume-or-rerun choice really happens, and every colour pair meets WCAG AA in both schemes.

const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');
const API_TOKEN = `api-${'c'.repeat(24)}`;

const newWorkflow = (name: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [{ id: 'shape', uses: 'core.transform', with: { value: { name } } }],
  edges: [],
});

const greeter = (code: string) => ({
  schemaVersion: 1,
  name: 'Greeter',
  trigger: { type: 'manual' },
  nodes: [{ id: 'greet', uses: 'core.code', with: { code } }],
  edges: [],
});

const proposing = (document: Record<string, unknown>, summary: string): ScriptStep[] => [
  { toolCalls: [{ name: 'propose_workflow', input: { document, summary } }] },
  { text: 'Approve it to turn it on.' },
];

describe.skipIf(!hasChromium)('the chat in a real browser (Debian chromium)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let model: ScriptedModelServer;
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
  const say = async (text: string) => {
    const box = page.getByLabel('Message');
    await box.fill(text);
    await box.press('Enter');
  };
  const card = (id: string): Locator => page.locator(`[data-testid="proposal"][data-proposal-id="${id}"]`);
  const statusOf = async (id: string) =>
    String((await db.sql`select status from proposals where id = ${id}`)[0]?.status);
  const shoot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const newestProposalId = async () =>
    String((await db.sql`select id from proposals order by created_at desc limit 1`)[0]?.id);

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    db = await createTestDatabase({ poolSize: 8 });
    model = await startScriptedModelServer();
    app = await startSignedApp(db, {
      VMESH_API_TOKEN: API_TOKEN,
      VMESH_NO_WORKER: '0',
      VMESH_MODEL: 'openai:gpt-test',
      OPENAI_BASE_URL: model.openaiBaseUrl,
      OPENAI_API_KEY: 'sk-test',
    });
    signedIn = await openSignedInBrowser(db.sql, app.url, {
      profile: 'chat',
      viewport: { width: 1100, height: 900 },
    });
    page = signedIn.page;
  }, 120_000);

  afterAll(async () => {
    await signedIn?.close();
    await app?.stop();
    await model?.close();
    await db?.drop();
  });

  it('says what a second request replaces, keeps both on request, shows a refusal, and survives a reload', async () => {
    model.setScript(proposing(newWorkflow('First idea'), 'The first idea.'));
    await say('Make the first idea');
    await page.locator('[data-testid="proposal"]').first().waitFor({ timeout: 30_000 });
    const first = await newestProposalId();
    await card(first).getByRole('button', { name: 'Approve' }).waitFor();

    model.setScript(proposing(newWorkflow('Second idea'), 'The second idea.'));
    await say('No, make the second idea');
    await page.locator('[data-testid="proposal"]').nth(1).waitFor({ timeout: 30_000 });
    const second = await newestProposalId();
    expect(second).not.toBe(first);
    const replaces = card(second).getByTestId('replaces');
    expect(await replaces.textContent()).toContain(`This replaces proposal ${first}`);
    expect(await statusOf(first)).toBe('superseded');

    // The first card still has its buttons (it was drawn before): the server refuses, and the card says so.
    await card(first).getByRole('button', { name: 'Approve' }).click();
    const refusal = card(first).getByTestId('decision-outcome');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain(`Not decided: Proposal ${first} is already superseded`);
    expect(await refusal.textContent()).not.toContain('Approved.');
    await shoot('chat-superseded-refused');

    // Keep both: the first is open again on the server, and its card is drawn again with its buttons.
    await replaces.getByRole('button', { name: 'Keep both' }).click();
    await card(second).getByText(`Kept both: proposal ${first} is open again.`).waitFor();
    await card(first).getByRole('button', { name: 'Approve' }).waitFor();
    expect(await statusOf(first)).toBe('pending');
    expect(await statusOf(second)).toBe('pending');
    await shoot('chat-kept-both');

    // A reload restores the conversation: what was said, both cards as they stand now.
    await page.reload();
    await card(second).waitFor({ timeout: 30_000 });
    const log = page.getByRole('log', { name: 'Conversation' });
    expect(await log.getByText('Make the first idea', { exact: true }).count()).toBe(1);
    expect(await log.getByText('No, make the second idea', { exact: true }).count()).toBe(1);
    expect(await page.locator('[data-testid="proposal"]').count()).toBe(2);
    expect(await card(second).getByTestId('replaces').count()).toBe(0);
    await card(first).getByRole('button', { name: 'Approve' }).click();
    await card(first).getByText('Approved.').waitFor();
    expect(await statusOf(first)).toBe('approved');
    expect(await statusOf(second)).toBe('pending');
    const [made] = await db.sql`select active from workflows where name = 'First idea'`;
    expect(made?.active).toBe(true);

    await page.reload();
    await card(first).getByTestId('decision-outcome').waitFor({ timeout: 30_000 });
    expect(await card(first).getByTestId('decision-outcome').textContent()).toBe('Approved.');
    expect(await card(second).getByRole('button', { name: 'Approve' }).count()).toBe(1);
    await shoot('chat-restored');
  }, 180_000);

  it('a failing run brings a live fix card; its resume-or-rerun choice really happens', async () => {
    model.setScript(proposing(greeter('throw new Error("the greeting is missing")'), 'Greets.'));
    await say('Make a greeter');
    const proposalId = await (async () => {
      await page.getByRole('heading', { name: 'Proposed workflow: Greeter' }).waitFor({ timeout: 30_000 });
      return newestProposalId();
    })();
    await card(proposalId).getByRole('button', { name: 'Approve' }).click();
    await card(proposalId).getByText('Approved.').waitFor();
    const [workflow] = await db.sql`select id from workflows where name = 'Greeter'`;
    const workflowId = String(workflow?.id);

    // Self-healing's turn: the model proposes a fix for the failed run it is told about.
    const fixed = greeter('return "hello"');
    model.setScript([
      (request) => {
        const runId = /\(runId ([^)]+)\)/.exec(request.lastUserText)?.[1] ?? 'missing';
        return {
          toolCalls: [
            { name: 'propose_fix', input: { runId, document: fixed, summary: 'Return the greeting.' } },
          ],
        };
      },
      { text: 'The step threw; this fix returns the greeting.' },
    ]);
    const started = await api('POST', `/api/workflows/${workflowId}/runs`, {});
    const failedRunId = String(started.runId);

    // Nobody reloads: the failure and the fix arrive over the conversation's stream.
    const failed = page.locator(`[data-testid="run-update"][data-run-id="${failedRunId}"]`);
    await failed.waitFor({ timeout: 60_000 });
    expect(await failed.textContent()).toContain('failed at step "greet"');
    const fix = page.getByRole('heading', { name: 'Proposed fix: Greeter' });
    await fix.waitFor({ timeout: 30_000 });
    const fixId = await newestProposalId();
    const fixCard = card(fixId);
    const diff = fixCard.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.locator('.diff-removed').allTextContents()).toEqual([
      expect.stringContaining('throw new Error(\\"the greeting is missing\\")'),
    ]);
    expect(await diff.locator('.diff-added').allTextContents()).toEqual([
      expect.stringContaining('return \\"hello\\"'),
    ]);
    await fixCard.getByTestId('dry-run').waitFor();
    expect(await fixCard.getByTestId('dry-run').textContent()).toContain('greet');
    const choice = fixCard.getByTestId('resume-choice');
    expect(
      await choice.getByRole('radio', { name: /Resume the failed run from the failed step/ }).isChecked(),
    ).toBe(true);
    await shoot('chat-fix-card');

    // Re-run on the new version: a new run on version 2 succeeds; the failed one stays failed.
    await choice.getByRole('radio', { name: /Re-run it from the start on the new version/ }).check();
    await fixCard.getByRole('button', { name: 'Approve' }).click();
    await fixCard.getByText('Approved.').waitFor();
    const rerun = page
      .locator('[data-testid="run-update"]')
      .filter({ hasText: `Rerunning run ${failedRunId}` });
    await rerun.waitFor();
    await rerun.locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    const runs =
      await db.sql`select id, status, version from runs where workflow_id = ${workflowId} order by created_at`;
    expect(runs.map((run) => [run.status, run.version])).toEqual([
      ['failed', 1],
      ['succeeded', 2],
    ]);
    const [audited] = await db.sql`
      select details->>'resume' as resume from audit_log where action = 'proposal.approved' and subject_id = ${fixId}`;
    expect(audited?.resume).toBe('rerun');
    await shoot('chat-fix-rerun');
  }, 180_000);

  it('resumes the failed run from its failed step when that is the choice', async () => {
    const counter = (code: string) => ({ ...greeter(code), name: 'Counter' });
    model.setScript(proposing(counter('throw new Error("the counter broke")'), 'Counts.'));
    await say('Make a counter');
    await page.getByRole('heading', { name: 'Proposed workflow: Counter' }).waitFor({ timeout: 30_000 });
    const proposalId = await newestProposalId();
    await card(proposalId).getByRole('button', { name: 'Approve' }).click();
    await card(proposalId).getByText('Approved.').waitFor();
    const [workflow] = await db.sql`select id from workflows where name = 'Counter'`;
    const workflowId = String(workflow?.id);
    model.setScript([
      (request) => ({
        toolCalls: [
          {
            name: 'propose_fix',
            input: {
              runId: /\(runId ([^)]+)\)/.exec(request.lastUserText)?.[1] ?? 'missing',
              document: counter('return 1'),
              summary: 'Count one.',
            },
          },
        ],
      }),
      { text: 'Fixed.' },
    ]);
    const failedRunId = String((await api('POST', `/api/workflows/${workflowId}/runs`, {})).runId);
    await page.getByRole('heading', { name: 'Proposed fix: Counter' }).waitFor({ timeout: 60_000 });
    const fixCard = card(await newestProposalId());
    // The default choice: resume the same run from the step that failed.
    await fixCard.getByRole('button', { name: 'Approve' }).click();
    await fixCard.getByText('Approved.').waitFor();
    const resumed = page
      .locator('[data-testid="run-update"]')
      .filter({ hasText: `Resuming run ${failedRunId} from its failed step` });
    await resumed.waitFor();
    await resumed.locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    const runs = await db.sql`select id, status from runs where workflow_id = ${workflowId}`;
    expect(runs.map((run) => [run.id, run.status])).toEqual([[failedRunId, 'succeeded']]);
  }, 180_000);

  it('meets WCAG AA contrast in light and dark, themes the graph for dark, and works from the keyboard', async () => {
    // Two more requests, so the page has an open card that replaces another (Keep both, Approve, Reject).
    model.setScript(proposing(newWorkflow('Third idea'), 'The third idea.'));
    await say('Or the third idea');
    await page.getByRole('heading', { name: 'Proposed workflow: Third idea' }).waitFor({ timeout: 30_000 });
    model.setScript(proposing(newWorkflow('Fourth idea'), 'The fourth idea.'));
    await say('Or rather the fourth');
    await page.getByRole('heading', { name: 'Proposed workflow: Fourth idea' }).waitFor({ timeout: 30_000 });
    const third = await newestProposalId();
    await card(third).getByTestId('replaces').waitFor();

    const failures: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.reload();
      await card(third).getByRole('button', { name: 'Keep both' }).waitFor({ timeout: 30_000 });
      await page.getByTestId('diff').first().waitFor();
      const graph = card(third).getByTestId('graph');
      await graph.locator('svg').waitFor({ timeout: 30_000 });
      expect(await graph.getAttribute('data-theme')).toBe(scheme === 'dark' ? 'dark' : 'neutral');
      const measured = await page.evaluate(measureContrast);
      console.log(`${scheme}: ${measured.map((pair) => `${pair.name} ${pair.ratio.toFixed(2)}`).join('; ')}`);
      for (const pair of measured) {
        if (pair.ratio < pair.needed)
          failures.push(
            `${scheme}: ${pair.name} ${pair.ratio.toFixed(2)}:1 < ${pair.needed}:1 (${pair.fg} on ${pair.bg})`,
          );
      }
      const names = new Set(measured.map((pair) => pair.name));
      for (const name of [
        'Approve button',
        'Reject button',
        'Keep both button',
        'person bubble',
        'diff added',
        'diff removed',
        'message box border',
      ])
        expect(names, `${scheme}: ${name} measured`).toContain(name);
      await shoot(`chat-${scheme}`);
    }
    expect(failures).toEqual([]);

    // Keyboard: from the message box, Shift+Tab reaches the card's buttons (real buttons, focus visible); Space
    // presses one; Enter in the box sends.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('Message').click();
    let reached = false;
    for (let step = 0; step < 60 && !reached; step += 1) {
      await page.keyboard.press('Shift+Tab');
      reached = await page.evaluate((id) => {
        const active = document.activeElement;
        return (
          active instanceof HTMLButtonElement &&
          active.textContent === 'Keep both' &&
          active.closest('[data-proposal-id]')?.getAttribute('data-proposal-id') === id
        );
      }, third);
    }
    expect(reached).toBe(true);
    const outline = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement as Element);
      return { style: style.outlineStyle, width: Number.parseFloat(style.outlineWidth) };
    });
    expect(outline.style).not.toBe('none');
    expect(outline.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Space');
    await card(third)
      .getByText(/Kept both: proposal .* is open again\./)
      .waitFor();
  }, 180_000);
});

/** In the page: the contrast of the chat's key foreground/background pairs (WCAG 2 relative luminance). */
function measureContrast(): { name: string; ratio: number; needed: number; fg: string; bg: string }[] {
  const parse = (color: string): [number, number, number, number] => {
    const match = /rgba?\(([^)]+)\)/.exec(color);
    if (!match?.[1]) return [0, 0, 0, 0];
    const parts = match[1]
      .split(/[ ,/]+/)
      .filter(Boolean)
      .map(Number);
    return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
  };
  const luminance = ([r, g, b]: [number, number, number, number]) => {
    const channel = (value: number) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const ratio = (a: [number, number, number, number], b: [number, number, number, number]) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
    return (x + 0.05) / (y + 0.05);
  };
  /** The first opaque background at or above the element. */
  const backgroundOf = (element: Element | null): [number, number, number, number] => {
    for (let node = element; node; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (color[3] > 0.5) return color;
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor);
  };
  const results: { name: string; ratio: number; needed: number; fg: string; bg: string }[] = [];
  const text = (name: string, selector: string) => {
    const element = document.querySelector(selector);
    if (!element) return;
    const style = getComputedStyle(element);
    const large =
      Number.parseFloat(style.fontSize) >= 24 ||
      (Number.parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
    const fg = parse(style.color);
    const bg = backgroundOf(element);
    results.push({
      name,
      ratio: ratio(fg, bg),
      needed: large ? 3 : 4.5,
      fg: style.color,
      bg: `rgb(${bg.slice(0, 3).join(',')})`,
    });
  };
  const border = (name: string, selector: string) => {
    const element = document.querySelector(selector);
    if (!element) return;
    const style = getComputedStyle(element);
    const fg = parse(style.borderTopColor);
    const bg = backgroundOf(element.parentElement);
    results.push({
      name,
      ratio: ratio(fg, bg),
      needed: 3,
      fg: style.borderTopColor,
      bg: `rgb(${bg.slice(0, 3).join(',')})`,
    });
  };
  text('page text', 'main .msg.agent p');
  text('person bubble', '.msg.user p');
  text('Approve button', '.proposal button.approve');
  text('Reject button', '.proposal button.reject');
  text('Keep both button', '.proposal button.keep-both');
  text('Send button', '.composer button');
  text('replaces note', '.replaces > p');
  text('decision outcome', '.decided');
  text('refusal', '.decided.error');
  text('link', '.msg a');
  text('run status badge', '.badge');
  text('failed badge', '.badge.status-failed');
  text('succeeded badge', '.badge.status-succeeded');
  text('diff added', '.diff .diff-added');
  text('diff removed', '.diff .diff-removed');
  text('diff folded', '.diff .diff-gap');
  text('diff summary', '.diff-summary');
  text('dry run passed', '.dry-run .test-ok');
  text('hint', '.hint');
  text('navigation', 'header.top a');
  text('resume choice', '.resume-choice label');
  border('message box border', '.composer textarea');
  border('button border', '.proposal button.reject');
  return results;
}
