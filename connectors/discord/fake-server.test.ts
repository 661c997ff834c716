import { createHash } from 'node:crypto';
import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiscordFake, startDiscordFake } from './fake-server.ts';

/** The bots' endpoints on the one Discord fake: interaction webhooks and the gateway's address. */
describe('Discord fake: the endpoints the bots use', () => {
  let fake: DiscordFake;
  beforeAll(async () => {
    fake = await startDiscordFake({ applicationId: 'APP1', gatewayUrl: 'ws://127.0.0.1:9' });
  });
  afterAll(() => fake.close());

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${fake.apiUrl}/v10${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("parses the multipart body discord.js's own REST client builds for files (payload_json, files[n])", async () => {
    const rest = new REST({ api: fake.apiUrl, version: '10', retries: 0 }).setToken(fake.botToken);
    const data = Buffer.from('bytes from the official client\n');
    const sent = (await rest.post(Routes.channelMessages(fake.channelId), {
      body: { content: 'with a file', attachments: [{ id: 0, filename: 'official.txt' }] },
      files: [{ name: 'official.txt', data, contentType: 'text/plain' }],
    })) as { attachments: { filename: string; size: number }[] };
    expect(sent.attachments).toEqual([
      expect.objectContaining({ filename: 'official.txt', size: data.length }),
    ]);
    expect(fake.uploads.at(-1)).toEqual({
      field: 'files[0]',
      filename: 'official.txt',
      contentType: 'text/plain',
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    const wrongId = await rest
      .post(Routes.channelMessages(fake.channelId), {
        body: { content: 'x', attachments: [{ id: 5, filename: 'nope.txt' }] },
        files: [{ name: 'official.txt', data }],
      })
      .catch((error: { code?: number }) => error.code);
    expect(wrongId).toBe(50035);
  });

  it('edits the deferred @original response and answers follow-ups with the message', async () => {
    const edited = await call('PATCH', '/webhooks/APP1/tok1/messages/%40original', {
      content: 'Here is a draft',
    });
    expect(edited).toMatchObject({ status: 200, body: { content: 'Here is a draft' } });
    const followUp = await call('POST', '/webhooks/APP1/tok1', {
      content: 'Proposal',
      components: [{ type: 1, components: [{ type: 2, custom_id: 'vmesh:approve:p1' }] }],
    });
    expect(followUp).toMatchObject({ status: 200, body: { content: 'Proposal', id: expect.any(String) } });
    const again = await call('PATCH', `/webhooks/APP1/tok1/messages/${String(followUp.body.id)}`, {
      components: [],
    });
    expect(again).toMatchObject({ status: 200, body: { content: 'Proposal', components: [] } });
    expect(fake.interactionMessages('tok1').map((message) => message.content)).toEqual([
      'Here is a draft',
      'Proposal',
    ]);
  });

  it('answers Discord errors for unknown messages, webhooks and empty follow-ups', async () => {
    expect(await call('PATCH', '/webhooks/APP1/tok2/messages/123', { content: 'x' })).toMatchObject({
      status: 404,
      body: { code: 10008 },
    });
    expect(await call('PATCH', '/webhooks/OTHER/tok2/messages/%40original', { content: 'x' })).toMatchObject({
      status: 404,
      body: { code: 10015 },
    });
    expect(await call('POST', '/webhooks/APP1/tok2', { content: '' })).toMatchObject({
      status: 400,
      body: { code: 50006 },
    });
  });

  it('names the gateway to a bot token only', async () => {
    expect(
      await call('GET', '/gateway/bot', undefined, { authorization: `Bot ${fake.botToken}` }),
    ).toMatchObject({
      status: 200,
      body: { url: 'ws://127.0.0.1:9', shards: 1 },
    });
    expect((await call('GET', '/gateway/bot')).status).toBe(401);
  });
});
