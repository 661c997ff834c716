import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type DiscordFake, startDiscordFake } from '../../connectors/discord/fake-server.ts';
import { createScriptedConversation, sampleProposalReply } from '../testing/scripted-conversation.ts';
import { type DiscordGateway, startDiscordGateway } from './start-discord-gateway.ts';

type Frame = { op: number; d?: unknown; t?: string | null; s?: number | null };

/**
 * The gateway client end to end: real discord.js asks the fake REST API for the gateway, connects to a local
 * server speaking the Gateway protocol (HELLO, IDENTIFY, READY, heartbeats), receives a DM and replies over REST.
 */
describe('Discord gateway client (real discord.js, local gateway)', () => {
  let gateway: WebSocketServer;
  let api: DiscordFake;
  let bot: DiscordGateway;
  const conversation = createScriptedConversation();
  const received: Frame[] = [];
  let identified: Promise<WebSocket>;
  let sequence = 0;
  const dispatch = (socket: WebSocket, t: string, d: unknown) => {
    sequence += 1;
    socket.send(JSON.stringify({ op: 0, t, s: sequence, d }));
  };

  beforeAll(async () => {
    gateway = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => gateway.once('listening', () => resolve()));
    const { port } = gateway.address() as AddressInfo;
    identified = new Promise((resolve) => {
      gateway.on('connection', (socket) => {
        socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 } }));
        socket.on('message', (data) => {
          const frame = JSON.parse(String(data)) as Frame;
          received.push(frame);
          if (frame.op === 1) socket.send(JSON.stringify({ op: 11 }));
          if (frame.op !== 2) return;
          dispatch(socket, 'READY', {
            v: 10,
            user: { id: '9001', username: 'vmesh', discriminator: '0', bot: true, avatar: null },
            guilds: [],
            session_id: 'session-1',
            resume_gateway_url: `ws://127.0.0.1:${port}`,
            application: { id: '9002', flags: 0 },
            shard: [0, 1],
          });
          resolve(socket);
        });
      });
    });
    api = await startDiscordFake({
      botToken: 'test-gateway-token',
      channelIds: ['7100'],
      gatewayUrl: `ws://127.0.0.1:${port}`,
    });
    bot = await startDiscordGateway({ conversation, botToken: 'test-gateway-token', apiUrl: api.apiUrl });
  });
  afterAll(async () => {
    await bot.stop();
    await new Promise<void>((resolve) => gateway.close(() => resolve()));
    await api.close();
  });

  it('identifies with the bot token, turns a DM into a turn of that channel and replies to it', async () => {
    const socket = await identified;
    const identify = received.find((frame) => frame.op === 2)?.d as { token?: string; intents?: number };
    expect(identify.token).toBe('test-gateway-token');
    dispatch(socket, 'MESSAGE_CREATE', {
      id: '7001',
      channel_id: '7100',
      channel_type: 1,
      author: { id: '7200', username: 'alice', discriminator: '0', avatar: null },
      content: 'post new bugs to #triage',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
    });
    await expect.poll(() => conversation.turns.length, { timeout: 10_000 }).toBe(1);
    expect(conversation.turns[0]).toMatchObject({
      threadKey: 'discord:dm:7100',
      text: 'post new bugs to #triage',
      actor: { id: 'dm:7200' },
    });
    await expect
      .poll(() => api.requests.filter((request) => request.path === '/api/v10/channels/7100/messages').length)
      .toBeGreaterThan(0);
    const reply = api.requests.find((request) => request.path === '/api/v10/channels/7100/messages');
    expect(reply?.body).toMatchObject({ message_reference: { message_id: '7001' } });
  });

  it('posts a self-healing fix proposal into the channel of the conversation (notify), with buttons', async () => {
    const before = api.requests.length;
    const fix = sampleProposalReply({
      id: 'fix-7',
      kind: 'fix',
      title: 'Fix: use the channel id',
      summary: 'The post failed; use the channel id instead of the name.',
      document: {
        schemaVersion: 1,
        name: 'Bugs to triage',
        trigger: { type: 'webhook' },
        nodes: [{ id: 'post', uses: 'core.transform', with: { value: 1 } }],
        edges: [],
      },
    });
    expect(await bot.notify('discord:dm:7100', [fix])).toBe(true);
    const posted = api.requests
      .slice(before)
      .filter((request) => request.path === '/api/v10/channels/7100/messages');
    expect(posted.length).toBeGreaterThan(0);
    expect(JSON.stringify(posted.at(-1)?.body)).toContain('fix-7');
    expect(await bot.notify('slack:T1:C1', [fix])).toBe(false);
  });
});
