import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { builtinConnectors } from '../../connectors/index.ts';
import { type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createTestDatabase, type TestDatabase } from '../../db/testing/test-database.ts';
import {
  createEngineServices,
  type EngineServices,
  type EngineWorker,
  waitForRun,
} from '../../runtime/index.ts';
import { createRuntimeTriggerPort } from '../runtime-trigger-port.ts';
import { createScriptedConversation } from '../testing/scripted-conversation.ts';
import type { SlackBot } from './create-slack-bot.ts';
import { registerSlack } from './register-slack.ts';
import { signSlackRequest } from './sign-slack-request.ts';

// slack.messagePosted end to end: Slack's signed Events API deliveries (and Socket Mode envelopes) reach the real
// bolt app, which hands channel messages to the runtime; matching active workflows run on a real worker.

const SECRET = 'slack-signing-secret-for-tests';
let db: TestDatabase;
let engine: EngineServices;
let worker: EngineWorker;

const listening = (channel: string, extra: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  name: `on-${channel}-${Math.random()}`,
  trigger: { type: 'slack.messagePosted', with: { channel, ...extra } },
  nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger }}' } }],
  edges: [],
});

async function activeWorkflow(document: Record<string, unknown>): Promise<string> {
  const { id } = await engine.workflows.create(document, {}, { activate: true });
  return id;
}

async function runsOf(workflowId: string): Promise<{ id: string; triggerType: string; trigger: unknown }[]> {
  const rows = await db.sql`
    select id, trigger_type, trigger from runs where workflow_id = ${workflowId} order by created_at`;
  return rows.map((row) => ({
    id: String(row.id),
    triggerType: String(row.triggerType),
    trigger: row.trigger,
  }));
}

const callback = (eventId: string, event: Record<string, unknown>) => ({
  type: 'event_callback',
  team_id: 'T1',
  api_app_id: 'A1',
  event_id: eventId,
  event_time: 1,
  event,
});
const channelMessage = (overrides: Record<string, unknown> = {}) => ({
  type: 'message',
  channel: 'C1',
  channel_type: 'channel',
  user: 'U1',
  text: 'The checkout page is down again',
  ts: '1700000001.000100',
  event_ts: '1700000001.000100',
  team: 'T1',
  ...overrides,
});

beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 10 });
  engine = await createEngineServices(
    { sql: db.sql, url: db.url, kind: 'external', close: async () => {} },
    { env: { VMESH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }, connectors: builtinConnectors },
  );
  worker = await engine.startWorker({ concurrency: 4 });
});
afterAll(async () => {
  await worker.stop();
  await db.drop();
});

describe('slack.messagePosted from the signed /slack/events route', () => {
  let slack: SlackFake;
  let server: FastifyInstance;
  let bot: SlackBot;
  let url: string;
  const conversation = createScriptedConversation();

  beforeAll(async () => {
    slack = await startSlackFake({
      channels: ['C1', 'C2', 'C3', 'C4', 'C5', 'C9'].map((id) => ({
        id,
        name: `channel-${id.toLowerCase()}`,
        isMember: true,
      })),
    });
    server = Fastify();
    bot = await registerSlack(server, {
      conversation,
      botToken: slack.token,
      signingSecret: SECRET,
      slackApiUrl: slack.apiUrl,
      triggers: createRuntimeTriggerPort(db.sql, builtinConnectors),
    });
    url = await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await slack.close();
  });
  beforeEach(() => {
    conversation.turns.length = 0;
  });

  const send = async (payload: unknown, headers: Record<string, string> = {}) => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackRequest(SECRET, body), ...headers },
      body,
    });
    await bot.idle();
    return response;
  };

  it('starts exactly one run per matching workflow with the documented data; a redelivery starts none', async () => {
    const inC1 = await activeWorkflow(listening('C1'));
    const inC2 = await activeWorkflow(listening('C2'));
    const response = await send(callback('Ev-one', channelMessage()));
    expect(response.status).toBe(200);
    const data = {
      channel: 'C1',
      channelName: 'channel-c1',
      user: 'U1',
      text: 'The checkout page is down again',
      ts: '1700000001.000100',
      team: 'T1',
    };
    const runs = await runsOf(inC1);
    expect(runs).toEqual([{ id: expect.any(String), triggerType: 'slack.messagePosted', trigger: data }]);
    const run = await waitForRun(db.sql, runs[0]?.id ?? '', { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]?.output).toEqual(data);
    expect(await runsOf(inC2)).toEqual([]);

    // Slack retries (X-Slack-Retry-Num) and duplicate deliveries of the same event_id start nothing more.
    expect((await send(callback('Ev-one', channelMessage()), { 'x-slack-retry-num': '1' })).status).toBe(200);
    expect((await send(callback('Ev-one', channelMessage()))).status).toBe(200);
    expect((await runsOf(inC1)).length).toBe(1);
    // A channel message is not an agent turn.
    expect(conversation.turns).toEqual([]);
  });

  it('refuses a bad signature with 401 and starts no run', async () => {
    const workflow = await activeWorkflow(listening('C3'));
    const body = JSON.stringify(callback('Ev-bad', channelMessage({ channel: 'C3' })));
    const forged = signSlackRequest('another-secret', body);
    const response = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...forged },
      body,
    });
    expect(response.status).toBe(401);
    await bot.idle();
    expect(await runsOf(workflow)).toEqual([]);
  });

  it('acknowledges and starts no run for edits, filtered-out text, bots and the app itself', async () => {
    const plain = await activeWorkflow(listening('C4', { textContains: 'down' }));
    const withBots = await activeWorkflow(listening('C4', { includeBots: true, textContains: 'down' }));
    const sends = [
      callback('Ev-edit', channelMessage({ channel: 'C4', subtype: 'message_changed' })),
      callback('Ev-text', channelMessage({ channel: 'C4', text: 'all good here' })),
      callback('Ev-im', channelMessage({ channel: 'D4', channel_type: 'im' })),
      // Another bot: only the workflow with includeBots runs.
      callback(
        'Ev-bot',
        channelMessage({ channel: 'C4', subtype: 'bot_message', bot_id: 'BOTHER', user: undefined }),
      ),
      // The app's own posts (its bot id and bot user from auth.test) never start a run, includeBots or not.
      callback(
        'Ev-self',
        channelMessage({
          channel: 'C4',
          bot_id: slack.botId,
          user: slack.botUserId,
          text: 'down, posted by us',
        }),
      ),
      callback(
        'Ev-self2',
        channelMessage({ channel: 'C4', user: slack.botUserId, text: 'down again, by us' }),
      ),
    ];
    for (const payload of sends) expect((await send(payload)).status).toBe(200);
    expect(await runsOf(plain)).toEqual([]);
    expect((await runsOf(withBots)).map((run) => (run.trigger as { botId?: string }).botId)).toEqual([
      'BOTHER',
    ]);
  });

  it('matches a #name channel filter through conversations.info', async () => {
    const byName = await activeWorkflow(listening('#channel-c9'));
    const otherName = await activeWorkflow(listening('#elsewhere'));
    expect((await send(callback('Ev-name', channelMessage({ channel: 'C9' })))).status).toBe(200);
    await bot.idle();
    expect((await runsOf(byName)).length).toBe(1);
    expect(await runsOf(otherName)).toEqual([]);
    expect(slack.calls.some((call) => call.method === 'conversations.info')).toBe(true);
  });

  it('starts nothing for a deactivated workflow', async () => {
    const workflow = await activeWorkflow(listening('C5'));
    await engine.workflows.deactivate(workflow);
    expect((await send(callback('Ev-off', channelMessage({ channel: 'C5' })))).status).toBe(200);
    expect(await runsOf(workflow)).toEqual([]);
  });
});

describe('slack.messagePosted over Socket Mode', () => {
  let sockets: WebSocketServer;
  let slack: SlackFake;
  let bot: SlackBot;
  const server = Fastify();
  let connected: Promise<WebSocket>;

  beforeAll(async () => {
    sockets = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => sockets.once('listening', () => resolve()));
    const { port } = sockets.address() as AddressInfo;
    connected = new Promise((resolve) => {
      sockets.on('connection', (socket) => {
        socket.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A1' } }));
        resolve(socket);
      });
    });
    slack = await startSlackFake({
      socketModeUrl: `ws://127.0.0.1:${port}/link`,
      channels: ['C1', 'C3', 'C4', 'C5', 'C9'].map((id) => ({
        id,
        name: `channel-${id.toLowerCase()}`,
        isMember: true,
      })),
    });
    bot = await registerSlack(server, {
      conversation: createScriptedConversation(),
      botToken: slack.token,
      signingSecret: '',
      appToken: slack.appToken,
      slackApiUrl: slack.apiUrl,
      triggers: createRuntimeTriggerPort(db.sql, builtinConnectors),
    });
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
    await slack.close();
  });

  it('starts one run from an events_api envelope, and none from its redelivery', async () => {
    const workflow = await activeWorkflow(listening('C9'));
    const socket = await connected;
    const envelope = {
      envelope_id: 'env-1',
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: '',
      payload: callback('Ev-socket', channelMessage({ channel: 'C9', ts: '1700000009.000100' })),
    };
    socket.send(JSON.stringify(envelope));
    await expect.poll(async () => (await runsOf(workflow)).length, { timeout: 10_000 }).toBe(1);
    socket.send(JSON.stringify({ ...envelope, envelope_id: 'env-2', retry_attempt: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await bot.idle();
    const runs = await runsOf(workflow);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.trigger).toMatchObject({
      channel: 'C9',
      ts: '1700000009.000100',
      text: expect.any(String),
    });
    expect((await waitForRun(db.sql, runs[0]?.id ?? '', { timeoutMs: 30_000 })).status).toBe('succeeded');
  });
});
