import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DiscordFake, startDiscordFake } from '../../connectors/discord/fake-server.ts';
import { createScriptedConversation, sampleProposalReply } from '../testing/scripted-conversation.ts';
import { registerDiscord } from './register-discord.ts';
import { renderDiscordReply, splitDiscordText } from './render-discord-reply.ts';
import { generateDiscordKeys, signDiscordRequest } from './sign-discord-request.ts';

describe('Discord interactions endpoint (real Ed25519 signatures, fake REST)', () => {
  const keys = generateDiscordKeys();
  const conversation = createScriptedConversation();
  let discord: DiscordFake;
  let server: FastifyInstance;
  let bot: { idle(): Promise<void> };
  let url: string;

  beforeAll(async () => {
    discord = await startDiscordFake({ applicationId: 'APP1' });
    server = Fastify();
    bot = await registerDiscord(server, {
      conversation,
      applicationId: 'APP1',
      publicKey: keys.publicKeyHex,
      apiUrl: discord.apiUrl,
    });
    url = await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await discord.close();
  });
  beforeEach(() => {
    discord.requests.length = 0;
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${url}/discord/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const signed = (value: unknown) => {
    const body = JSON.stringify(value);
    return post(body, signDiscordRequest(keys.privateKey, body));
  };

  it('answers a signed PING with type 1 and refuses bad signatures with 401', async () => {
    const ping = await signed({ id: 'i0', type: 1 });
    expect(await ping.json()).toEqual({ type: 1 });
    const body = JSON.stringify({ id: 'i0', type: 1 });
    const other = generateDiscordKeys();
    expect((await post(body, signDiscordRequest(other.privateKey, body))).status).toBe(401);
    expect((await post(body.replace('i0', 'i1'), signDiscordRequest(keys.privateKey, body))).status).toBe(
      401,
    );
    expect((await post(body, {})).status).toBe(401);
  });

  const command = {
    id: 'i2',
    type: 2,
    token: 'tok2',
    guild_id: 'G1',
    channel_id: 'C1',
    member: { user: { id: 'U1', username: 'ada' } },
    data: { name: 'vmesh', options: [{ name: 'message', type: 3, value: 'post bugs to #triage' }] },
  };

  it('defers the /vmesh command, runs one turn, and sends the replies as follow-ups; redelivery starts none', async () => {
    const response = await signed(command);
    expect(await response.json()).toEqual({ type: 5 });
    expect(await (await signed(command)).json()).toEqual({ type: 5 });
    await bot.idle();
    expect(conversation.turns).toEqual([
      {
        threadKey: 'discord:G1:C1',
        actor: { platform: 'discord', id: 'G1:U1', displayName: 'ada' },
        text: 'post bugs to #triage',
      },
    ]);
    expect(discord.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'PATCH /api/v10/webhooks/APP1/tok2/messages/%40original',
      'POST /api/v10/webhooks/APP1/tok2',
    ]);
    const proposal = discord.requests[1]?.body as {
      components: Array<{ components: Array<{ custom_id: string }> }>;
    };
    expect(proposal.components[0]?.components.map((button) => button.custom_id)).toEqual([
      'vmesh:approve:p1',
      'vmesh:reject:p1',
    ]);
  });

  it('approves from a button and removes the buttons', async () => {
    const response = await signed({
      id: 'i3',
      type: 3,
      token: 'tok3',
      guild_id: 'G1',
      channel_id: 'C1',
      member: { user: { id: 'U1' } },
      data: { custom_id: 'vmesh:approve:p1', component_type: 2 },
    });
    expect(await response.json()).toEqual({ type: 6 });
    await bot.idle();
    expect(conversation.decisions.at(-1)).toEqual({
      proposalId: 'p1',
      decision: 'approve',
      actor: { platform: 'discord', id: 'G1:U1', displayName: undefined },
    });
    expect(discord.requests[0]).toMatchObject({
      method: 'PATCH',
      body: { components: [], content: '✅ Approved by <@U1>' },
    });
  });

  it('keeps both from the Keep both button of a card that replaced an open proposal', async () => {
    const card = sampleProposalReply({
      id: 'p2',
      kind: 'workflow',
      title: 'Second idea',
      summary: 'This replaces proposal p1 (closed unless you keep both).',
      document: {
        schemaVersion: 1,
        name: 'Second idea',
        trigger: { type: 'manual' },
        nodes: [],
        edges: [],
      } as never,
    });
    card.proposal.replaces = ['p1'];
    const [message] = renderDiscordReply(card);
    const rows = (message?.components ?? []) as Array<{ components: Array<{ custom_id: string }> }>;
    const ids = rows[0]?.components.map((button) => button.custom_id);
    expect(ids).toEqual(['vmesh:approve:p2', 'vmesh:reject:p2', 'vmesh:keep_both:p2']);
    const response = await signed({
      id: 'i-keep',
      type: 3,
      token: 'tok-keep',
      guild_id: 'G1',
      channel_id: 'C1',
      member: { user: { id: 'U1' } },
      data: { custom_id: 'vmesh:keep_both:p2', component_type: 2 },
    });
    expect(await response.json()).toEqual({ type: 6 });
    await bot.idle();
    expect(conversation.keptBoth.at(-1)).toEqual({
      proposalId: 'p2',
      actor: { platform: 'discord', id: 'G1:U1', displayName: undefined },
    });
    expect(conversation.decisions.some((decision) => decision.proposalId === 'p2')).toBe(false);
    expect(discord.requests.at(-1)).toMatchObject({
      method: 'POST',
      body: { content: expect.stringContaining('Kept both') },
    });
  });

  it('splits long replies at 2000 characters', () => {
    const pieces = splitDiscordText(`${'a'.repeat(1500)}\n${'b'.repeat(1500)} ${'c'.repeat(3000)}`);
    expect(pieces.every((piece) => piece.length <= 2000)).toBe(true);
    expect(pieces.join('').replace(/[\n ]/g, '').length).toBe(6000);
    expect(pieces[0]).toBe('a'.repeat(1500));
  });
  it('a connect link goes out as an ephemeral follow-up only; the public messages never hold it', async () => {
    const asking = {
      ...command,
      id: 'i-connect',
      token: 'tok-connect',
      data: { name: 'vmesh', options: [{ name: 'message', type: 3, value: 'connect my crm' }] },
    };
    expect(await (await signed(asking)).json()).toEqual({ type: 5 });
    await bot.idle();
    const sentForIt = discord.requests.filter((request) => request.path.includes('/tok-connect'));
    const withLink = sentForIt.filter((request) => JSON.stringify(request.body).includes('/connect/'));
    expect(withLink).toHaveLength(1);
    expect(withLink[0]?.method).toBe('POST');
    expect(withLink[0]?.body).toMatchObject({ flags: 64 });
    expect(JSON.stringify(withLink[0]?.body)).toContain('"style":5');
    for (const request of sentForIt.filter((candidate) => candidate !== withLink[0]))
      expect((request.body as { flags?: number } | undefined)?.flags ?? 0).toBe(0);
  });
});
