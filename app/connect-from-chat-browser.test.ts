import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, linkIdentity } from '../access/index.ts';
import {
  type ScriptedModelServer,
  startScriptedModelServer,
} from '../agent/testing/scripted-model-server.ts';
import { signSlackRequest } from '../bots/slack/sign-slack-request.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  httpConnector,
  OAuth2Credential,
  parseSecretKey,
} from '../connectors/index.ts';
import {
  type AuthorizationCodeServer,
  startAuthorizationCodeServer,
} from '../connectors/sdk/auth/testing/authorization-code-server.ts';
import { type SlackFake, startSlackFake } from '../connectors/slack/fake-server.ts';
import { findFreePort } from '../db/index.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { everyRowText } from '../runtime/security/testing/secret-sweep.ts';
import { waitForRun } from '../runtime/store/run-store.ts';
import { type RunningApp, startApp } from './start.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED connect-from-chat browser test: ${CHROMIUM} is missing`);

// From "this needs your account" in Slack to a running workflow without a shell, through the real app (its HTTP
// server, worker, Slack bot against the Slack wire fake, agent with a scripted model), Debian chromium for the
// link pages and a real OAuth2 provider (oidc-provider): the link reaches only the person (an ephemeral message),
// connecting it is told in the thread and the pending proposal shows it satisfied; later the provider revokes the
// grant, the failed run waits, the thread gets a reconnect link (no fix proposal), and reconnecting resumes the run.

const SLACK_SECRET = `slack-${randomBytes(8).toString('hex')}`;
const apiToken = `shared-${randomBytes(12).toString('hex')}`;
const auth = { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' };
const pastedToken = `pasted-${randomBytes(16).toString('hex')}`;
const secretKey = randomBytes(32).toString('base64');

let db: TestDatabase;
let model: ScriptedModelServer;
let slack: SlackFake;
let provider: AuthorizationCodeServer;
let app: RunningApp;
let api: Server;
let apiUrl = '';
let profile: string;
let browser: BrowserContext;
const seenAuthorization: string[] = [];
const linkTokens: string[] = [];
let counter = 0;

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sent = (method: string) => slack.calls.filter((call) => call.method === method);
const textOf = (call: { args: Record<string, unknown> }) => {
  const blocks = (call.args.blocks ?? []) as { text?: { text?: string } }[];
  return `${String(call.args.text ?? '')}\n${blocks.map((block) => block.text?.text ?? '').join('\n')}`;
};
/** Everything posted where the whole channel sees it (messages and their edits). */
const publicText = () => [...sent('chat.postMessage'), ...sent('chat.update')].map(textOf).join('\n');
const ephemeralsFor = (user: string) => sent('chat.postEphemeral').filter((call) => call.args.user === user);
const linkIn = (call: { args: Record<string, unknown> }): string => {
  const url = /(http:\/\/127\.0\.0\.1:\d+\/connect\/[A-Za-z0-9_-]+)/.exec(JSON.stringify(call.args))?.[1];
  if (!url) throw new Error('no connect link in the ephemeral message');
  linkTokens.push(url.split('/').at(-1) ?? '');
  return url;
};

async function mention(user: string, text: string, threadTs?: string): Promise<string> {
  counter += 1;
  const ts = `17000002${String(counter).padStart(2, '0')}.000001`;
  slack.addMessage('C1', { ts, user, text: `<@UBOT> ${text}`, ...(threadTs ? { thread_ts: threadTs } : {}) });
  const body = JSON.stringify({
    type: 'event_callback',
    team_id: 'T1',
    event_id: `EvConnect${counter}`,
    event: {
      type: 'app_mention',
      user,
      text: `<@UBOT> ${text}`,
      ts,
      channel: 'C1',
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
  });
  const response = await fetch(`${app.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signSlackRequest(SLACK_SECRET, body) },
    body,
  });
  expect(response.status).toBe(200);
  return threadTs ?? ts;
}

async function click(user: string, proposalId: string): Promise<void> {
  counter += 1;
  const payload = {
    type: 'block_actions',
    team: { id: 'T1' },
    user: { id: user },
    trigger_id: `trig-${counter}`,
    channel: { id: 'C1' },
    container: { type: 'message', message_ts: '1700000000.000009', channel_id: 'C1' },
    message: { type: 'message', ts: '1700000000.000009', text: 'card', blocks: [] },
    actions: [
      {
        type: 'button',
        action_id: 'vmesh_approve',
        block_id: 'b',
        action_ts: '1',
        value: JSON.stringify({ v: 1, proposalId, decision: 'approve' }),
      },
    ],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const response = await fetch(`${app.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SLACK_SECRET, body) },
    body,
  });
  expect(response.status).toBe(200);
}

const callApi = (name: string, credential: string) => ({
  schemaVersion: 1,
  name,
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'call',
      uses: 'http.request',
      credential,
      retry: { maxAttempts: 1 },
      with: { method: 'GET', url: `${apiUrl}/me` },
    },
  ],
  edges: [],
});

async function startRunOf(workflowId: string): Promise<string> {
  const response = await fetch(`${app.url}/api/workflows/${workflowId}/runs`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({}),
  });
  const body = (await response.json()) as { runId?: string; id?: string };
  expect(response.status, JSON.stringify(body)).toBeLessThan(300);
  return String(body.runId ?? body.id);
}

beforeAll(async () => {
  if (!hasChromium) return;
  db = await createTestDatabase({ poolSize: 12 });
  model = await startScriptedModelServer();
  slack = await startSlackFake({ teamId: 'T1', channels: [{ id: 'C1', name: 'general', isMember: true }] });
  slack.addMessage('C1', { ts: '1700000000.000009', user: slack.botUserId, text: 'card' });
  const port = await findFreePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  provider = await startAuthorizationCodeServer({ redirectUri: `${publicUrl}/oauth/callback` });
  // A resource server: a pasted bearer token, or an access token the provider says is active.
  api = createServer((request, response) => {
    void (async () => {
      const header = request.headers.authorization ?? '';
      seenAuthorization.push(header);
      const token = /^Bearer (.+)$/.exec(header)?.[1] ?? '';
      const active = token === pastedToken || (token ? (await provider.introspect(token)).active : false);
      response
        .writeHead(active ? 200 : 401, { 'content-type': 'application/json' })
        .end(JSON.stringify(active ? { ok: true } : { error: 'invalid_token' }));
    })();
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'silent',
    VMESH_PUBLIC_URL: publicUrl,
    VMESH_API_TOKEN: apiToken,
    VMESH_SECRET_KEY: secretKey,
    VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1',
    VMESH_MODEL: 'openai:gpt-test',
    OPENAI_BASE_URL: model.openaiBaseUrl,
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SLACK_SECRET,
    SLACK_API_URL: slack.apiUrl,
    // This installation's Google app, at the test's provider.
    VMESH_OAUTH_GOOGLE_CLIENT_ID: provider.clientId,
    VMESH_OAUTH_GOOGLE_CLIENT_SECRET: provider.clientSecret,
    VMESH_OAUTH_GOOGLE_AUTHORIZE_URL: provider.authorizeUrl,
    VMESH_OAUTH_GOOGLE_TOKEN_URL: provider.tokenUrl,
  };
  for (const name of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'SLACK_APP_TOKEN', 'VMESH_NO_WORKER'])
    delete env[name];
  app = await startApp(env);
  const ada = await createUser(db.sql, { name: 'ada', role: 'admin' });
  await linkIdentity(db.sql, ada.id, 'slack', 'T1:UADA');
  const olga = await createUser(db.sql, { name: 'olga', role: 'admin' });
  await linkIdentity(db.sql, olga.id, 'slack', 'T1:UOLGA');
  profile = await mkdtemp(join(tmpdir(), 'vmesh-chromium-chat-connect-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 400, height: 700 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  await app?.stop();
  await new Promise((resolve) => api?.close(resolve));
  await provider?.close();
  await slack?.close();
  await model?.close();
  await db?.drop();
});

describe.skipIf(!hasChromium)('connecting a credential from Slack (real app, Debian chromium)', () => {
  let thread = '';
  let proposalId = '';

  it('a proposal that needs a credential: the link reaches only the person who asked, as an ephemeral message', async () => {
    model.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: { document: callApi('Contacts lookup', 'contacts'), summary: 'Looks up contacts.' },
          },
        ],
      },
      { text: 'Here is the proposal; connect your account with the link.' },
    ]);
    thread = await mention('UADA', 'look up our contacts');
    const [ephemeral] = await eventually('the ephemeral link', () => {
      const found = ephemeralsFor('UADA');
      return found.length > 0 ? found : undefined;
    });
    const [row] = await db.sql`select id from proposals where status = 'pending'`;
    proposalId = String(row?.id);
    expect(ephemeral?.args.thread_ts).toBe(thread);
    expect(textOf(ephemeral!)).toContain('Connect the credential "contacts" (bearer)');
    linkIn(ephemeral!);
    await eventually('the proposal card', () => publicText().includes('Proposed workflow: Contacts lookup'));
    expect(publicText()).toContain('Needs credential "contacts"');
    // Nobody else in the channel sees the link; the stored conversation keeps no usable copy of it.
    expect(publicText()).not.toContain('/connect/');
    expect(sent('chat.postEphemeral').every((call) => call.args.user === 'UADA')).toBe(true);
    const { rows } = await everyRowText(db.sql);
    for (const token of linkTokens) expect(rows.join('\n')).not.toContain(token);
  }, 60_000);

  it('the person pastes the key on the link page; the thread is told and the proposal shows it satisfied', async () => {
    const url = linkIn(ephemeralsFor('UADA')[0]!);
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByLabel(/token/i).fill(pastedToken);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Connected' }).waitFor();
    expect(await page.content()).not.toContain(pastedToken);
    await page.close();
    const told = await eventually('the thread to be told', () =>
      sent('chat.postMessage').find((call) =>
        textOf(call).includes('✓ The credential "contacts" is connected.'),
      ),
    );
    expect(told.args.thread_ts).toBe(thread);
    await eventually('the proposal shown satisfied', () =>
      publicText().includes('✓ Credential "contacts" is connected now'),
    );
    const [row] = await db.sql`select details from proposals where id = ${proposalId}`;
    expect(row?.details).toMatchObject({ missingCredentials: [], connectedCredentials: ['contacts'] });
    expect(publicText()).not.toContain(pastedToken);
  }, 60_000);

  it('approved in Slack, the workflow runs with the connected credential', async () => {
    await click('UOLGA', proposalId);
    const [workflow] = await eventually('the approved workflow', async () => {
      const rows = await db.sql`select id from workflows where name = 'Contacts lookup' and active`;
      return rows.length > 0 ? rows : undefined;
    });
    const runId = await startRunOf(String(workflow?.id));
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status).toBe('succeeded');
    expect(seenAuthorization).toContain(`Bearer ${pastedToken}`);
  }, 60_000);

  it("a request to a built-in OAuth2 provider's API gets that provider's consent link, with the installation's app", async () => {
    const before = ephemeralsFor('UADA').length;
    model.setScript([
      {
        toolCalls: [
          {
            name: 'propose_workflow',
            input: {
              document: {
                ...callApi('Drive files', 'drive'),
                nodes: [
                  {
                    id: 'files',
                    uses: 'http.request',
                    credential: 'drive',
                    with: { method: 'GET', url: 'https://www.googleapis.com/drive/v3/files' },
                  },
                ],
              },
              summary: 'Lists Drive files.',
            },
          },
        ],
      },
      { text: 'Connect your Google account with the link.' },
    ]);
    await mention('UADA', 'list my drive files');
    const ephemeral = await eventually('the Google link', () => ephemeralsFor('UADA')[before]);
    expect(textOf(ephemeral)).toContain('Connect the credential "drive" (google account)');
    const opened = await fetch(linkIn(ephemeral), { redirect: 'manual' });
    expect(opened.status).toBe(302);
    const location = new URL(opened.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(provider.authorizeUrl);
    expect(location.searchParams.get('client_id')).toBe(provider.clientId);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
  }, 60_000);

  it('revoked at the provider: the run waits, the thread gets a reconnect link and no fix; reconnecting resumes it', async () => {
    // The local owner connects an oauth2 credential from the shell's API, and is on Slack as UOWN.
    const [owner] = await db.sql`select user_id from user_identities where provider = 'local'`;
    await linkIdentity(db.sql, String(owner?.userId), 'slack', 'T1:UOWN');
    const made = await fetch(`${app.url}/api/credentials/crm/connect`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        type: 'oauth2',
        fields: {
          authorizeUrl: provider.authorizeUrl,
          tokenUrl: provider.tokenUrl,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          scopes: ['openid', 'offline_access'],
        },
      }),
    });
    const first = await browser.newPage();
    await first.goto(((await made.json()) as { url: string }).url);
    await first.getByRole('heading', { name: 'Connected' }).waitFor();
    await first.close();
    const [conversation] = await db.sql`select id from conversations where thread_key like 'slack:T1:C1:%'`;
    const created = await fetch(`${app.url}/api/workflows`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ document: callApi('CRM call', 'crm'), conversationRef: conversation?.id }),
    });
    const workflowId = String(((await created.json()) as { id: string }).id);
    const activated = await fetch(`${app.url}/api/workflows/${workflowId}/activate`, {
      method: 'POST',
      headers: { authorization: auth.authorization },
    });
    expect(activated.status, await activated.text()).toBe(200);
    expect((await waitForRun(db.sql, await startRunOf(workflowId), { timeoutMs: 30_000 })).status).toBe(
      'succeeded',
    );

    // The provider revokes the grant and the access token runs out: the next run must renew it, and cannot.
    const store = createCredentialStore({
      sql: db.sql,
      key: parseSecretKey(secretKey),
      types: credentialTypesOf([httpConnector]),
    });
    const connected = OAuth2Credential.parse((await store.get('crm', { recordUse: false }))?.secret);
    await provider.revoke(connected.refreshToken ?? '');
    await store.updateLocked('crm', async () => ({
      result: undefined,
      secret: { ...connected, expiresAt: new Date(Date.now() - 1000).toISOString() },
    }));
    const failedRun = await startRunOf(workflowId);
    expect((await waitForRun(db.sql, failedRun, { timeoutMs: 30_000 })).status).toBe('failed');
    const reconnect = await eventually('the reconnect link', () =>
      ephemeralsFor('UOWN').find((call) => textOf(call).includes('Reconnect the credential "crm"')),
    );
    await eventually('the needs-reconnect notice', () => publicText().includes('credential.needs_reconnect'));
    expect(publicText()).not.toContain('/connect/');
    const [summary] = await db.sql`select state from credentials where name = 'crm'`;
    expect(summary?.state).toBe('needs_reconnect');

    const page = await browser.newPage();
    await page.goto(linkIn(reconnect));
    await page.getByRole('heading', { name: 'Connected' }).waitFor();
    await page.close();
    await eventually('the run resumed', () =>
      publicText().includes(`Credential "crm" is connected again: resuming run ${failedRun}`),
    );
    const resumed = await waitForRun(db.sql, failedRun, { timeoutMs: 30_000 });
    expect(resumed.status).toBe('succeeded');
    expect(await db.sql`select id from proposals where kind = 'fix'`).toHaveLength(0);
    const [after] = await db.sql`select state from credentials where name = 'crm'`;
    expect(after?.state).toBe('connected');
  }, 90_000);
});
