import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackFake, startSlackFake } from './fake-server.ts';

/** The bots' methods on the one Slack fake, through the real WebClient (as bolt calls them). */
describe('Slack fake: the methods the bots use', () => {
  let fake: SlackFake;
  let bot: WebClient;
  const channel = 'C0000000001';
  beforeAll(async () => {
    fake = await startSlackFake({ teamId: 'T1', socketModeUrl: 'ws://127.0.0.1:9/link' });
    bot = new WebClient(fake.token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(() => fake.close());

  const slackError = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: { data?: { error?: string } }) => error.data?.error,
    );

  it('answers auth.test with the bot and the team', async () => {
    expect(await bot.auth.test()).toMatchObject({ ok: true, user_id: fake.botUserId, team_id: 'T1' });
  });

  it("updates the bot's own message with chat.update, and refuses others' and unknown ones", async () => {
    const posted = await bot.chat.postMessage({ channel, text: '_Thinking…_' });
    const updated = await bot.chat.update({
      channel,
      ts: posted.ts ?? '',
      text: 'Here is a draft',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'draft' } }],
    });
    expect(updated).toMatchObject({ ok: true, channel, ts: posted.ts, text: 'Here is a draft' });
    expect(fake.messages(channel).find((message) => message.ts === posted.ts)).toMatchObject({
      text: 'Here is a draft',
      blocks: [{ type: 'section' }],
    });
    expect(fake.calls.at(-1)).toEqual({
      method: 'chat.update',
      args: expect.objectContaining({
        ts: posted.ts,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'draft' } }],
      }),
    });
    fake.addMessage(channel, { ts: '1700000001.000100', user: 'U1', text: 'a person wrote this' });
    expect(await slackError(bot.chat.update({ channel, ts: '1700000001.000100', text: 'x' }))).toBe(
      'cant_update_message',
    );
    expect(await slackError(bot.chat.update({ channel, ts: '1700000009.000009', text: 'x' }))).toBe(
      'message_not_found',
    );
  });

  it('replies in the thread of a message a person posted', async () => {
    fake.addMessage(channel, { ts: '1700000002.000100', user: 'U1', text: '<@U0BOT00001> hello' });
    await bot.chat.postMessage({ channel, thread_ts: '1700000002.000100', text: 'hi' });
    expect(fake.messages(channel).at(-1)).toMatchObject({ thread_ts: '1700000002.000100', text: 'hi' });
    expect(() => fake.addMessage('C404', { ts: '1.1', user: 'U1', text: 'x' })).toThrow(/options\.channels/);
  });

  it("speaks the official client's own upload (filesUploadV2: getUploadURLExternal, the bytes, completeUploadExternal)", async () => {
    const bytes = Buffer.from('a file the official client uploads\n');
    const answer = await bot.filesUploadV2({
      channel_id: channel,
      file: bytes,
      filename: 'official.txt',
      title: 'Official',
      initial_comment: 'from filesUploadV2',
    });
    expect(answer.ok).toBe(true);
    const [uploaded] = fake.files().filter((file) => file.name === 'official.txt');
    expect(uploaded).toMatchObject({ title: 'Official', length: bytes.length, completed: true });
    expect(uploaded?.bytes?.equals(bytes)).toBe(true);
    expect(fake.messages(channel).at(-1)).toMatchObject({
      text: 'from filesUploadV2',
      files: [{ id: uploaded?.id }],
    });
  });

  it('opens a Socket Mode connection only with the app-level token', async () => {
    const app = new WebClient(fake.appToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    expect(await app.apps.connections.open()).toMatchObject({ ok: true, url: 'ws://127.0.0.1:9/link' });
    expect(await slackError(bot.apps.connections.open())).toBe('not_allowed_token_type');
    expect(await slackError(app.chat.postMessage({ channel, text: 'x' }))).toBe('not_allowed_token_type');
    const stranger = new WebClient('xoxb-someone-else', {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
    });
    expect(await slackError(stranger.auth.test())).toBe('invalid_auth');
  });
});
