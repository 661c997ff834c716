import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GmailFake, startGmailFake } from '../../connectors/gmail/fake-server.ts';
import {
  createCredentialStore,
  credentialTypesOf,
  gmailConnector,
  mattermostConnector,
  outlookConnector,
  parseSecretKey,
  teamsConnector,
} from '../../connectors/index.ts';
import { type MattermostFake, startMattermostFake } from '../../connectors/mattermost/fake-server.ts';
import { type OutlookFake, startOutlookFake } from '../../connectors/outlook/fake-server.ts';
import { startTeamsFake, type TeamsFake } from '../../connectors/teams/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import { createEngineServices, type EngineServices } from '../services.ts';
import { waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import type { EngineWorker } from './worker.ts';

// The mail and chat connectors through the real worker and Postgres: the gmail.newEmail poll trigger fires a run
// for a message that arrives after activation, which labels it in Gmail and announces it in Mattermost; a manual
// run reads the Outlook inbox and posts in a Teams channel. No credential is in the run record.

const secretKey = Buffer.alloc(32, 7).toString('base64');
const connectors = [gmailConnector, outlookConnector, teamsConnector, mattermostConnector];
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;
let gmail: GmailFake;
let outlook: OutlookFake;
let teams: TeamsFake;
let mattermost: MattermostFake;

const oauth2 = (provider: string, accessToken: string) => ({
  authorizeUrl: `https://login.example.com/${provider}/authorize`,
  tokenUrl: `https://login.example.com/${provider}/token`,
  clientId: `${provider}-client-id`,
  clientSecret: `${provider}-client-secret-0123456789`,
  provider,
  accessToken,
  refreshToken: `${provider}-refresh-token-0123456789`,
});

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 8 });
  [gmail, outlook, teams, mattermost] = await Promise.all([
    startGmailFake(),
    startOutlookFake(),
    startTeamsFake(),
    startMattermostFake(),
  ]);
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: secretKey, VMESH_HTTP_ALLOW_HOSTS: '127.0.0.1' }, connectors },
  );
  Object.assign(engine.deps.connectorEnv.baseUrls, {
    gmail: gmail.url,
    outlook: outlook.url,
    teams: teams.url,
  });
  const credentials = createCredentialStore({
    sql: db.sql,
    key: parseSecretKey(secretKey),
    types: credentialTypesOf(connectors),
  });
  await credentials.set('gmail', 'oauth2', oauth2('google', gmail.token));
  await credentials.set('m365', 'oauth2', oauth2('microsoft', outlook.token));
  await credentials.set('teams', 'oauth2', oauth2('microsoft', teams.token));
  // The server URL comes from the credential; 127.0.0.1 passes the guarded fetch only as VMESH_HTTP_ALLOW_HOSTS says.
  await credentials.set('chat', 'mattermost', { serverUrl: mattermost.serverUrl, token: mattermost.token });
  worker = await engine.startWorker({ concurrency: 2 });
});

afterAll(async () => {
  await worker?.stop();
  await Promise.all([gmail?.close(), outlook?.close(), teams?.close(), mattermost?.close()]);
  await db?.drop();
});

const runsOf = async (workflowId: string) =>
  (await db.sql`select id, trigger from runs where workflow_id = ${workflowId} order by created_at`).map(
    (row) => ({
      id: String(row.id),
      trigger: row.trigger as { id?: string; subject?: string },
    }),
  );

async function storedRecord(runId: string): Promise<string> {
  return JSON.stringify([
    await db.sql`select * from runs where id = ${runId}`,
    await db.sql`select * from steps where run_id = ${runId}`,
    await db.sql`select * from run_events where run_id = ${runId}`,
  ]);
}

describe('mail and chat connectors through the engine', () => {
  it('gmail.newEmail fires one run for a message that arrives after activation; it labels it and posts to Mattermost', async () => {
    gmail.deliver({ from: 'old@example.com', subject: 'ticket: old one', text: 'was there before' });
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'gmail tickets to mattermost',
        trigger: {
          type: 'gmail.newEmail',
          credential: 'gmail',
          with: { query: 'subject:ticket', intervalSeconds: 1 },
        },
        nodes: [
          {
            id: 'label',
            uses: 'gmail.addLabels',
            credential: 'gmail',
            with: { messageId: '{{ trigger.id }}', add: ['Invoices'], remove: ['UNREAD'] },
          },
          {
            id: 'announce',
            uses: 'mattermost.postMessage',
            credential: 'chat',
            with: {
              channel: `${mattermost.teamName}/${mattermost.channelName}`,
              message: 'New: {{ trigger.subject }} from {{ trigger.from }}',
            },
          },
        ],
        edges: [{ from: 'label', to: 'announce' }],
      },
      {},
      { activate: true },
    );
    const lists = () =>
      gmail.requests.filter((request) => request.path === '/gmail/v1/users/me/messages').length;
    await expect.poll(lists, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const fresh = gmail.deliver({
      from: 'Ana <ana@example.com>',
      subject: 'ticket: printer on fire',
      text: 'help',
    });
    await expect.poll(async () => (await runsOf(id)).length, { timeout: 20_000 }).toBe(1);
    const [run] = await runsOf(id);
    expect(run?.trigger).toMatchObject({ id: fresh.id, subject: 'ticket: printer on fire', text: 'help' });
    const view = await waitForRun(db.sql, run?.id ?? '', { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(gmail.messages().find((message) => message.id === fresh.id)?.labelIds).toEqual([
      'INBOX',
      'Label_12',
    ]);
    expect(mattermost.posts().at(-1)?.message).toBe(
      'New: ticket: printer on fire from Ana <ana@example.com>',
    );
    // Later polls see the same messages: still one run.
    const seen = lists();
    await expect.poll(lists, { timeout: 20_000 }).toBeGreaterThanOrEqual(seen + 2);
    expect(await runsOf(id)).toHaveLength(1);
    await engine.workflows.deactivate(id);

    const stored = await storedRecord(run?.id ?? '');
    expect(stored).toContain('printer on fire');
    for (const secret of [
      gmail.token,
      mattermost.token,
      'google-client-secret-0123456789',
      'google-refresh-token-0123456789',
    ])
      expect(stored).not.toContain(secret);
  });

  it('a manual run reads the Outlook inbox and posts the newest subject in a Teams channel', async () => {
    outlook.deliver({
      from: 'Billing <billing@fabrikam.com>',
      subject: 'Invoice 2026-05',
      text: 'Due in 14 days',
    });
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'outlook digest to teams',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'inbox', uses: 'outlook.listMessages', credential: 'm365', with: { limit: 5 } },
        {
          id: 'post',
          uses: 'teams.postChannelMessage',
          credential: 'teams',
          with: {
            teamId: teams.teamId,
            channelId: teams.channelId,
            text: 'Newest mail: {{ steps.inbox.output.messages[0].subject }}',
          },
        },
      ],
      edges: [{ from: 'inbox', to: 'post' }],
    });
    const { runId } = await startRun(db.sql, id, {});
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(teams.messages().at(-1)?.body.content).toBe('Newest mail: Invoice 2026-05');
    const stored = await storedRecord(runId);
    for (const secret of [outlook.token, teams.token, 'microsoft-client-secret-0123456789'])
      expect(stored).not.toContain(secret);
  });

  it('outlook.newEmail fires for a new message from the filtered sender, with receivedDateTime ge the watermark', async () => {
    outlook.deliver({ from: 'alerts@fabrikam.com', subject: 'Alert 1', text: 'before activation' });
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'outlook alerts',
        trigger: {
          type: 'outlook.newEmail',
          credential: 'm365',
          with: { from: 'alerts@fabrikam.com', intervalSeconds: 1 },
        },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: 'alert: {{ trigger.subject }}' } }],
        edges: [],
      },
      {},
      { activate: true },
    );
    const polls = () =>
      outlook.requests.filter(
        (request) =>
          request.path === '/v1.0/me/mailFolders/inbox/messages' &&
          String(request.query.$filter ?? '').includes('alerts@'),
      ).length;
    await expect.poll(polls, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    outlook.deliver({ from: 'someone@fabrikam.com', subject: 'Not an alert', text: 'other sender' });
    const fresh = outlook.deliver({ from: 'alerts@fabrikam.com', subject: 'Alert 2', text: 'disk full' });
    await expect.poll(async () => (await runsOf(id)).length, { timeout: 20_000 }).toBe(1);
    const [run] = await runsOf(id);
    expect(run?.trigger).toMatchObject({ id: fresh.id, subject: 'Alert 2' });
    expect((await waitForRun(db.sql, run?.id ?? '', { timeoutMs: 30_000 })).steps[0]?.output).toBe(
      'alert: Alert 2',
    );
    const last = outlook.requests
      .filter((request) => request.path === '/v1.0/me/mailFolders/inbox/messages')
      .at(-1);
    expect(String(last?.query.$filter)).toMatch(
      /^receivedDateTime ge 2026-\S+Z and from\/emailAddress\/address eq 'alerts@fabrikam.com'$/,
    );
    await engine.workflows.deactivate(id);
    expect(await storedRecord(run?.id ?? '')).not.toContain(outlook.token);
  });
});
