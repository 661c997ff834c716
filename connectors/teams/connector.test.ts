import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphError } from '../microsoft/fake-graph.ts';
import type { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { teamsConnector } from './connector.ts';
import { startTeamsFake, type TeamsFake } from './fake-server.ts';

let fake: TeamsFake;
let env: ConnectorEnvironment;
const credential = () => ({
  authorizeUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
  tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  clientId: '11111111-2222-3333-4444-555555555555',
  clientSecret: 'entra-client-secret',
  provider: 'microsoft',
  accessToken: fake.token,
});

beforeAll(async () => {
  fake = await startTeamsFake();
  env = createTestEnvironment({ teams: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, credentialValue: unknown = credential()) =>
  runAction(teamsConnector, key, input, { env, credential: credentialValue, credentialType: 'oauth2' });
const runError = (key: string, input: unknown, credentialValue: unknown = credential()) =>
  runActionError(teamsConnector, key, input, { env, credential: credentialValue, credentialType: 'oauth2' });

describe('teams connector against the Microsoft Graph fake', () => {
  it('posts a channel message with a subject, replies in its thread, and sends a chat message', async () => {
    const posted = (await run('postChannelMessage', {
      teamId: fake.teamId,
      channelId: fake.channelId,
      text: '<b>Release 2.4</b> is out',
      contentType: 'html',
      subject: 'Release',
    })) as { id: string; webUrl: string };
    expect(posted.webUrl).toContain('teams.microsoft.com/l/message/');
    const request = fake.requests.at(-1);
    expect(request?.path).toBe(
      `/v1.0/teams/${fake.teamId}/channels/${encodeURIComponent(fake.channelId)}/messages`,
    );
    expect(request?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(request?.body).toEqual({
      body: { contentType: 'html', content: '<b>Release 2.4</b> is out' },
      subject: 'Release',
    });

    const reply = (await run('replyToChannelMessage', {
      teamId: fake.teamId,
      channelId: fake.channelId,
      messageId: posted.id,
      text: 'Congrats!',
    })) as { id: string };
    expect(fake.messages().find((message) => message.id === reply.id)?.replyToId).toBe(posted.id);
    expect(fake.requests.at(-1)?.path).toMatch(new RegExp(`/messages/${posted.id}/replies$`));

    const chat = (await run('sendChatMessage', { chatId: fake.chatId, text: 'Lunch?' })) as {
      id: string;
      webUrl: string;
    };
    expect(chat.webUrl).toBe('');
    expect(fake.requests.at(-1)).toMatchObject({
      path: `/v1.0/chats/${encodeURIComponent(fake.chatId)}/messages`,
      body: { body: { contentType: 'text', content: 'Lunch?' } },
    });
  });

  it('maps Graph errors: an unknown chat is E_NOT_FOUND with a hint; 403 Forbidden names the permission', async () => {
    const missing = (await runError('sendChatMessage', {
      chatId: '19:nope@thread.v2',
      text: 'hi',
    })) as ConnectorError;
    expect(missing).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { vendorCode: 'NotFound' },
      hint: expect.stringContaining('member'),
    });
    fake.fail('POST /teams/:team/channels/:channel/messages', {
      status: 403,
      body: graphError('Forbidden', 'Missing role permissions on the request.'),
    });
    const denied = (await runError('postChannelMessage', {
      teamId: fake.teamId,
      channelId: fake.channelId,
      text: 'x',
    })) as ConnectorError;
    expect(denied).toMatchObject({ code: 'E_AUTH', hint: expect.stringContaining('ChannelMessage.Send') });
  });

  it('a 429 with Retry-After is retryable with the wait', async () => {
    fake.fail('POST /chats/:chat/messages', {
      status: 429,
      headers: { 'retry-after': '7' },
      body: graphError('TooManyRequests', 'Too many requests.'),
    });
    const limited = (await runError('sendChatMessage', {
      chatId: fake.chatId,
      text: 'hi',
    })) as ConnectorError;
    expect(limited).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 7_000 });
  });

  it('an expired token without renewal is E_AUTH InvalidAuthenticationToken with a reconnect hint', async () => {
    const stale = { ...credential(), accessToken: 'eyJ0eXAiOiJKV1Qi.expired' };
    env.tokens = { refresh: async (seen) => ({ accessToken: seen }) };
    const error = (await runError(
      'sendChatMessage',
      { chatId: fake.chatId, text: 'hi' },
      stale,
    )) as ConnectorError;
    env.tokens = undefined;
    expect(error).toMatchObject({ code: 'E_AUTH', details: { vendorCode: 'InvalidAuthenticationToken' } });
    expect(error.hint).toContain('vmesh credentials connect NAME --type oauth2 --provider microsoft');
    const google = (await runError(
      'sendChatMessage',
      { chatId: fake.chatId, text: 'hi' },
      { ...credential(), provider: 'google' },
    )) as ConnectorError;
    expect(google).toMatchObject({ code: 'E_CREDENTIAL' });
  });

  it('refuses ids that are not Teams ids before sending', async () => {
    const error = (await runError('postChannelMessage', {
      teamId: '../me',
      channelId: fake.channelId,
      text: 'x',
    })) as ConnectorError;
    expect(error).toMatchObject({ code: 'E_PARAMS' });
  });

  it('has a doc section for every action', async () => {
    const sections = docSections(await readFile(teamsConnector.docPath, 'utf8'));
    for (const action of teamsConnector.actions) expect(sections).toContain(action.key);
  });
});
