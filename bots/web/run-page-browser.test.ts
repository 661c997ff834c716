import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalOwner } from '../../access/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import type { RunningApp } from '../../app/start.ts';
import { createLoginLink } from '../../app/web-auth/login-links.ts';
import { startSignedApp } from '../../app/web-auth/testing/signed-app.ts';
import {
  builtinConnectors,
  createCredentialStore,
  credentialTypesOf,
  parseSecretKey,
} from '../../connectors/index.ts';
import { type McpFake, startMcpFake } from '../../connectors/mcp/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`SKIPPED run page browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

// The run page in Debian chromium, against the app as `npm start` runs it (with its worker): a core.agent step's
// tool calls (an MCP listing, a call waiting for approval, then approved and done) appear under the step; a
// core.approval step's card lists the files it shows, each a working download link.

const API_TOKEN = `api-${randomBytes(12).toString('hex')}`;
const secretKey = randomBytes(32).toString('base64');
const CSV = 'order,total\n42,19.90\n';

describe.skipIf(!hasChromium)('the run page in a real browser (Debian chromium)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let model: ScriptedModelServer;
  let mcp: McpFake;
  let vendor: Server;
  let vendorUrl = '';
  let profile: string;
  let browser: BrowserContext;
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
  const startWorkflow = async (document: Record<string, unknown>) => {
    const created = await api('POST', '/api/workflows', { document, scope: 'workspace' });
    const id = String(created.id);
    await api('POST', `/api/workflows/${id}/activate`);
    const started = await api('POST', `/api/workflows/${id}/runs`, {});
    return String(started.runId);
  };

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 8 });
    model = await startScriptedModelServer();
    mcp = await startMcpFake({ token: 'mcp-page-token' });
    vendor = createServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/csv',
        'content-disposition': 'attachment; filename="orders.csv"',
      });
      response.end(CSV);
    });
    await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
    const address = vendor.address();
    vendorUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    app = await startSignedApp(db, {
      VMESH_API_TOKEN: API_TOKEN,
      VMESH_SECRET_KEY: secretKey,
      VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
      VMESH_NO_WORKER: '0',
      // The chat's own agent, at the scripted model server (the proposal card case).
      VMESH_MODEL: 'openai:gpt-test',
      OPENAI_BASE_URL: model.openaiBaseUrl,
    });
    const store = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(secretKey),
      types: credentialTypesOf(builtinConnectors),
    });
    await store.set('claude', 'llm', {
      provider: 'anthropic',
      apiKey: 'sk-page',
      baseUrl: model.anthropicBaseUrl,
      model: 'claude-test',
    });
    await store.set('calc', 'mcp', { bearerToken: 'mcp-page-token' });

    profile = await mkdtemp(join(tmpdir(), 'vmesh-chromium-run-page-'));
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
    const owner = await ensureLocalOwner(db.sql, 'cli');
    const { token } = await createLoginLink(db.sql, owner.userId, 60_000);
    await page.goto(`${app.url}/auth/link/${token}`);
    await page.getByRole('button', { name: 'Sign in as owner' }).click();
    await page.getByTestId('who').waitFor();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await app?.stop();
    await model?.close();
    await mcp?.close();
    vendor?.closeAllConnections();
    await new Promise((resolve) => vendor?.close(resolve));
    await db?.drop();
  });

  it('shows a core.agent step’s tool calls, the one waiting for approval, then its result', async () => {
    model.setScript([
      { toolCalls: [{ name: 'calc_add', input: { a: 20, b: 22 } }] },
      (request) => ({ text: `The sum is ${request.toolResults[0]?.content ?? '?'}` }),
    ]);
    const runId = await startWorkflow({
      schemaVersion: 1,
      name: 'agent on the run page',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'answer',
          uses: 'core.agent',
          credential: 'claude',
          with: {
            prompt: 'What is 20 + 22?',
            approveWrites: true,
            tools: [
              {
                mcp: 'calc',
                server: { transport: 'http', url: mcp.url },
                tools: ['add'],
                prefix: 'calc_',
              },
            ],
          },
        },
      ],
      edges: [],
    });
    await page.goto(`${app.url}/#/runs/${runId}`);
    const calls = page.getByTestId('agent-call');
    const waiting = page.locator('[data-testid="agent-call"][data-status="waiting"]');
    await waiting.waitFor({ timeout: 30_000 });
    expect(await calls.count()).toBe(2);
    expect(await calls.nth(0).textContent()).toContain('list tools (calc)');
    expect(await calls.nth(0).textContent()).toContain('out: calc_add');
    expect(await waiting.textContent()).toContain('calc_add');
    expect(await waiting.textContent()).toContain('waiting for approval');
    expect(await waiting.textContent()).toContain('{"a":20,"b":22}');
    const card = page.getByTestId('approval-card');
    expect(await card.textContent()).toContain('wants to call calc_add');
    expect(mcp.calls).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'vmesh-run-page-agent-waiting.png'), fullPage: true });

    await card.getByRole('button', { name: 'Approve' }).click();
    const done = page
      .locator('[data-testid="agent-call"][data-status="succeeded"]')
      .filter({ has: page.getByTestId('agent-call-name').getByText('calc_add', { exact: true }) });
    await done.waitFor({ timeout: 30_000 });
    expect(await done.textContent()).toContain('"sum":42');
    expect(await done.getByTestId('agent-call-approval').textContent()).toMatch(
      /approved after [\d.]+ (ms|s)/,
    );
    expect(await done.getByTestId('agent-call-duration').textContent()).toMatch(/\d+(\.\d)? (ms|s)/);
    await page.locator('.badge', { hasText: 'succeeded' }).first().waitFor();
    expect(mcp.calls).toEqual([{ tool: 'add', arguments: { a: 20, b: 22 } }]);
    await page.screenshot({ path: join(tmpdir(), 'vmesh-run-page-agent.png'), fullPage: true });
  }, 90_000);

  it('lists the files a core.approval step shows on its card, with download links', async () => {
    const runId = await startWorkflow({
      schemaVersion: 1,
      name: 'approve an export',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'fetch',
          uses: 'http.request',
          with: { url: `${vendorUrl}/export`, responseType: 'file' },
        },
        {
          id: 'check',
          uses: 'core.approval',
          with: { message: 'Send this export to the customer?', data: '{{ steps.fetch.output }}' },
        },
      ],
      edges: [{ from: 'fetch', to: 'check' }],
    });
    await page.goto(`${app.url}/#/runs/${runId}`);
    const card = page.getByTestId('approval-card');
    await card.waitFor({ timeout: 30_000 });
    expect(await card.textContent()).toContain('Send this export to the customer?');
    const file = card.getByTestId('step-file');
    expect(await file.textContent()).toContain(`text/csv, ${CSV.length} B`);
    const link = file.getByRole('link');
    const href = await link.getAttribute('href');
    expect(href).toMatch(new RegExp(`^/api/runs/${runId}/files/`));
    // The link downloads the file for the signed-in person.
    const body = await page.evaluate(async (url) => (await fetch(url)).text(), href ?? '');
    expect(body).toBe(CSV);
    await page.screenshot({ path: join(tmpdir(), 'vmesh-run-page-approval.png'), fullPage: true });

    await card.getByRole('button', { name: 'Reject' }).click();
    await card.getByText('Rejected.').waitFor();
  }, 90_000);

  it('names the files a proposal’s document holds on its card in the chat', async () => {
    const file = {
      id: 'f_pricelist0000000000000000',
      name: 'price-list.pdf',
      contentType: 'application/pdf',
      size: 2048,
      sha256: 'c'.repeat(64),
    };
    model.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: {
              document: {
                schemaVersion: 1,
                name: 'Send the price list',
                trigger: { type: 'manual' },
                nodes: [{ id: 'attach', uses: 'core.transform', with: { value: { attachment: file } } }],
                edges: [],
              },
              summary: 'Attach the price list to a run.',
            },
          },
        ],
      },
      { text: 'Here it is; approve it to save it.' },
    ]);
    await page.goto(`${app.url}/#/`);
    const box = page.getByLabel('Message');
    await box.fill('Make a workflow that sends our price list');
    await box.press('Enter');
    const proposal = page.getByTestId('proposal');
    await proposal.waitFor({ timeout: 30_000 });
    const listed = proposal.getByTestId('step-file');
    await listed.waitFor();
    expect(await listed.textContent()).toBe('price-list.pdf application/pdf, 2.0 KB');
    // A new workflow has no run the file could be downloaded from: named, not linked.
    expect(await listed.getByRole('link').count()).toBe(0);
    await page.screenshot({ path: join(tmpdir(), 'vmesh-run-page-proposal-files.png'), fullPage: true });
  }, 90_000);
});
