import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalOwner } from '../../access/index.ts';
import {
  CREDENTIAL_EVENT_TASK,
  createConversationService,
  createCredentialEventTask,
  createOpenAIProvider,
  createRuntimePorts,
  toBotConversationPort,
} from '../../agent/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../../agent/testing/scripted-model-server.ts';
import { createHttpServer } from '../../app/server.ts';
import { createLoginLink, createWebAuth, parseWebAuthConfig } from '../../app/web-auth/index.ts';
import { builtinConnectors } from '../../connectors/index.ts';
import { findFreePort } from '../../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { loadSystemPrompt } from '../../prompts/load-prompts.ts';
import { createEngineServices } from '../../runtime/services.ts';
import { createRuntimeWorkflowPort } from '../runtime-workflow-port.ts';
import { SAMPLE_DOCUMENT } from '../testing/scripted-conversation.ts';
import { registerConsoleRoutes } from './register-console-routes.ts';
import { registerWebChat } from './register-web-chat.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`SKIPPED web chat browser test: ${CHROMIUM} is missing (apt-get install chromium)`);

describe.skipIf(!hasChromium)('web chat in a real browser (Debian chromium)', () => {
  let app: FastifyInstance;
  let url: string;
  let profile: string;
  let browser: BrowserContext;
  let db: TestDatabase;
  let model: ScriptedModelServer;
  let worker: { stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    model = await startScriptedModelServer();
    // The engine's routes and connect links, as the app wires them, under the address the server listens on.
    const port = await findFreePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const database = { sql: db.sql, url: db.url, kind: 'external' as const, close: async () => {} };
    const engine = await createEngineServices(database, {
      env: { VMESH_SECRET_KEY: randomBytes(32).toString('base64') },
    });
    const service = createConversationService({
      connectLinks: engine.connectLinks(publicUrl),
      sql: db.sql,
      provider: createOpenAIProvider({ model: 'gpt-test', apiKey: 'k', baseURL: model.openaiBaseUrl }),
      system: loadSystemPrompt(),
      ...createRuntimePorts({ sql: db.sql, connectors: builtinConnectors }),
    });
    // The server as the app builds it, with web sign-in: the page works for a signed-in person only.
    const webAuth = createWebAuth({ sql: db.sql, config: parseWebAuthConfig({}, 'http://127.0.0.1') });
    app = createHttpServer({
      database: { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
      startedAt: Date.now(),
      version: 'test',
      env: {},
      config: { host: '127.0.0.1', apiToken: undefined, publicUrl },
      principalResolvers: [webAuth.resolvePrincipal],
    });
    webAuth.register(app);
    engine.registerHttp(app, { publicUrl });
    await registerWebChat(app, {
      conversation: toBotConversationPort(service),
      workflows: createRuntimeWorkflowPort(db.sql),
    });
    registerConsoleRoutes(app, {
      sql: db.sql,
      workflows: engine.workflows,
      connectors: builtinConnectors,
      publicUrl,
    });
    url = await app.listen({ host: '127.0.0.1', port });
    // The app's worker tells the conversation (and its proposals) when a credential gets connected.
    worker = await engine.startWorker({
      concurrency: 2,
      tasks: { [CREDENTIAL_EVENT_TASK]: createCredentialEventTask(service) },
    });
    profile = await mkdtemp(join(tmpdir(), 'vmesh-chromium-'));
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
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await browser?.close();
    await app?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await model?.close();
    await db?.drop();
  });

  it('chats, shows the proposal with its graph, and approves it', async () => {
    const page = await browser.newPage();
    let bytes = 0;
    page.on('response', (response) => {
      void response.body().then(
        (body) => {
          bytes += body.length;
        },
        () => {},
      );
    });
    model.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: {
              document: SAMPLE_DOCUMENT,
              summary: 'Webhook → if the issue is a bug → post it to #triage.',
            },
          },
        ],
      },
      { text: 'Here is the workflow; approve it to turn it on.' },
    ]);
    // The owner signs in with a one-time link (as `npm start` prints one), and lands on the chat.
    const owner = await ensureLocalOwner(db.sql, 'cli');
    const { token } = await createLoginLink(db.sql, owner.userId, 60_000);
    await page.goto(`${url}/auth/link/${token}`);
    await page.getByRole('button', { name: 'Sign in as owner' }).click();
    await page.getByTestId('who').waitFor();
    const box = page.getByLabel('Message');
    await box.fill('When a bug issue is opened on GitHub, post it to #triage');
    await box.press('Enter');

    const proposal = page.getByTestId('proposal');
    await proposal.waitFor();
    // The workflow needs the `slack` credential: the person gets a link and pastes the token in its page.
    const connect = page.getByTestId('connect-link');
    await connect.waitFor();
    expect(await connect.textContent()).toContain('Connect the credential "slack" (slack)');
    const [form] = await Promise.all([
      page.context().waitForEvent('page'),
      connect.getByRole('link', { name: 'Connect slack' }).click(),
    ]);
    await form
      .getByLabel(/token/i)
      .first()
      .fill(`xoxb-${randomBytes(12).toString('hex')}`);
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('heading', { name: 'Connected' }).waitFor();
    await form.close();
    const [stored] = await db.sql`select type, state from credentials where name = 'slack'`;
    expect(stored).toMatchObject({ type: 'slack', state: 'connected' });
    // Back on the chat, the proposal card is drawn again with the credential satisfied.
    await page.bringToFront();
    const satisfied = page.getByText('✓ Credential "slack" is connected now');
    for (let tries = 0; (await satisfied.count()) === 0 && tries < 100; tries += 1) {
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await page.waitForTimeout(200);
    }
    await satisfied.waitFor();
    expect(await proposal.textContent()).not.toContain('Needs credential "slack"');
    expect(await proposal.getByRole('heading').textContent()).toBe(
      'Proposed workflow: Post new bug issues to Slack',
    );
    const graph = proposal.getByTestId('graph');
    await graph.locator('svg').waitFor({ timeout: 20_000 });
    expect(await graph.getAttribute('data-rendered')).toBe('true');
    expect(await graph.locator('svg').textContent()).toContain('slack.postMessage');

    const shot = join(tmpdir(), 'vmesh-web-proposal.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}; bytes transferred ≈ ${bytes}`);

    await proposal.getByRole('button', { name: 'Approve' }).click();
    await proposal.getByText('Approved.').waitFor();

    await page.getByRole('link', { name: 'Workflows' }).click();
    const link = page.getByRole('link', { name: SAMPLE_DOCUMENT.name });
    await link.waitFor();
    expect(await page.locator('li', { has: link }).textContent()).toContain('active');
    await link.click();
    await page.getByTestId('graph').locator('svg').waitFor({ timeout: 20_000 });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('active');
    await page.screenshot({ path: join(tmpdir(), 'vmesh-web-workflow.png'), fullPage: true });
  }, 60_000);
});
