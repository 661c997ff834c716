import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type SlackFake, startSlackFake } from '../../connectors/slack/fake-server.ts';
import { createScriptedConversation } from '../testing/scripted-conversation.ts';
import type { SlackBot } from './create-slack-bot.ts';
import { registerSlack } from './register-slack.ts';

/**
 * Socket Mode end to end: the real bolt app opens the connection through apps.connections.open on the fake
 * Web API, gets a local WebSocket (speaking Slack's Socket Mode envelopes), acknowledges each envelope and
 * answers in the thread through the Web API.
 */
describe('Slack bot over Socket Mode (real bolt, local socket server)', () => {
  let sockets: WebSocketServer;
  let slack: SlackFake;
  let bot: SlackBot;
  const server = Fastify();
  const conversation = createScriptedConversation();
  const acks: unknown[] = [];
  let connected: Promise<WebSocket>;

  beforeAll(async () => {
    sockets = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => sockets.once('listening', () => resolve()));
    const { port } = sockets.address() as AddressInfo;
    connected = new Promise((resolve) => {
      sockets.on('connection', (socket) => {
        socket.on('message', (data) => acks.push(JSON.parse(String(data))));
        socket.send(
          JSON.stringify({
            type: 'hello',
            num_connections: 1,
            debug_info: { host: 'local', approximate_connection_time: 18060 },
            connection_info: { app_id: 'A1' },
          }),
        );
        resolve(socket);
      });
    });
    slack = await startSlackFake({
      teamId: 'T1',
      channels: [{ id: 'C7', name: 'general', isMember: true }],
      socketModeUrl: `ws://127.0.0.1:${port}/link`,
    });
    slack.addMessage('C7', { ts: '1700000009.000100', user: 'U1', text: '<@UBOT> post bugs to #triage' });
    bot = await registerSlack(server, {
      conversation,
      botToken: slack.token,
      signingSecret: '',
      appToken: slack.appToken,
      slackApiUrl: slack.apiUrl,
    });
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
    await slack.close();
  });

  it('adds no HTTP route, acknowledges the envelope and answers a mention in its thread', async () => {
    const routes = server.printRoutes();
    expect(routes).not.toContain('slack/events');
    const socket = await connected;
    const firstEnvelope = JSON.stringify({
      envelope_id: 'env-1',
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: '',
      payload: {
        type: 'event_callback',
        team_id: 'T1',
        api_app_id: 'A1',
        event_id: 'Ev1',
        event_time: 1,
        event: {
          type: 'app_mention',
          user: 'U1',
          text: '<@UBOT> post bugs to #triage',
          ts: '1700000009.000100',
          channel: 'C7',
          event_ts: '1700000009.000100',
        },
      },
    });
    socket.send(firstEnvelope);
    await expect.poll(() => conversation.turns.length, { timeout: 10_000 }).toBe(1);
    await bot.idle();
    expect(acks).toContainEqual(expect.objectContaining({ envelope_id: 'env-1' }));
    // Slack redelivers over the socket with retry_attempt > 0: acknowledged, but no second agent turn.
    socket.send(JSON.stringify({ ...JSON.parse(firstEnvelope), envelope_id: 'env-2', retry_attempt: 1 }));
    await expect
      .poll(() => acks.some((ack) => (ack as { envelope_id?: string }).envelope_id === 'env-2'))
      .toBe(true);
    await bot.idle();
    expect(conversation.turns).toHaveLength(1);
    expect(conversation.turns[0]).toMatchObject({ text: 'post bugs to #triage', actor: { id: 'T1:U1' } });
    const posts = slack.calls.filter((call) => call.method === 'chat.postMessage');
    expect(posts[0]).toMatchObject({
      method: 'chat.postMessage',
      args: { channel: 'C7', thread_ts: '1700000009.000100' },
    });
  });
});
