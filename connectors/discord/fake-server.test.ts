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
