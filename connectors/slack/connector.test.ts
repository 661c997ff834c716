import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { slackConnector } from './connector.ts';
import { type SlackFake, startSlackFake } from './fake-server.ts';
import { MessagePostedFilters, messagePosted, parseSlackMessageEvent } from './triggers/message-posted.ts';

let fake: SlackFake;
let env: ReturnType<typeof createTestEnvironment>;
let credential: { token: string };
const GENERAL = 'C0000000001';

beforeAll(async () => {
  fake = await startSlackFake();
  env = createTestEnvironment({ slack: fake.apiUrl });
  credential = { token: fake.token };
});
afterAll(async () => {
  await fake.close();
});

const run = (
  key: string,
  input: unknown,
  options: { attempt?: number; idempotencyKey?: string; credential?: unknown } = {},
) => runAction(slackConnector, key, input, { env, credential, ...options });
const runError = (
  key: string,
  input: unknown,
  options: { attempt?: number; idempotencyKey?: string; credential?: unknown } = {},
) => runActionError(slackConnector, key, input, { env, credential, ...options });

describe('slack connector against the fake Web API', () => {
  it('posts a message with the idempotency key as metadata, through the real WebClient', async () => {
    const out = await run(
      'postMessage',
      { channel: GENERAL, text: 'hello *world*' },
      { idempotencyKey: 'r1:post:0' },
    );
    expect(out).toMatchObject({
      channel: GENERAL,
      deduplicated: false,
      ts: expect.stringMatching(/^\d+\.\d+$/),
    });
    const last = fake.requests.at(-1);
    expect(last?.path).toBe('/api/chat.postMessage');
    expect(last?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(fake.messages(GENERAL).at(-1)).toMatchObject({
      text: 'hello *world*',
      metadata: { event_type: 'vmesh_step', event_payload: { idempotency_key: 'r1:post:0' } },
    });
  });

  it('does not post twice when a retry follows a lost response (history check)', async () => {
    const before = fake.messages(GENERAL).length;
    fake.fail('chat.postMessage', { status: 500, body: 'upstream broke', applyFirst: true });
    const first = await runError(
      'postMessage',
      { channel: GENERAL, text: 'once' },
      { idempotencyKey: 'r2:post:0' },
    );
    expect(first).toMatchObject({ code: 'E_UPSTREAM', retryable: true });
    const second = await run(
      'postMessage',
      { channel: GENERAL, text: 'once' },
      { idempotencyKey: 'r2:post:0', attempt: 2 },
    );
    expect(second).toMatchObject({ deduplicated: true });
    expect(fake.messages(GENERAL).length).toBe(before + 1);
    const third = await run(
      'postMessage',
      { channel: GENERAL, text: 'again' },
      { idempotencyKey: 'r3:post:0', attempt: 2 },
    );
    expect(third).toMatchObject({ deduplicated: false });
  });

  it('replies in a thread once, even on a retry', async () => {
    const parent = (await run(
      'postMessage',
      { channel: GENERAL, text: 'parent' },
      { idempotencyKey: 'r4:p:0' },
    )) as { ts: string };
    const reply = await run(
      'replyInThread',
      { channel: GENERAL, threadTs: parent.ts, text: 'child' },
      { idempotencyKey: 'r4:c:0' },
    );
    expect(reply).toMatchObject({ threadTs: parent.ts, deduplicated: false });
    const retry = await run(
      'replyInThread',
      { channel: GENERAL, threadTs: parent.ts, text: 'child' },
      { idempotencyKey: 'r4:c:0', attempt: 3 },
    );
    expect(retry).toMatchObject({ deduplicated: true, ts: (reply as { ts: string }).ts });
    expect(fake.messages(GENERAL).filter((message) => message.thread_ts === parent.ts)).toHaveLength(1);
  });

  it('adds a reaction and treats already_reacted as success', async () => {
    const parent = (await run('postMessage', { channel: GENERAL, text: 'react to me' })) as { ts: string };
    expect(await run('addReaction', { channel: GENERAL, timestamp: parent.ts, name: 'eyes' })).toEqual({
      alreadyReacted: false,
    });
    expect(await run('addReaction', { channel: GENERAL, timestamp: parent.ts, name: 'eyes' })).toEqual({
      alreadyReacted: true,
    });
    expect(
      await runError('addReaction', { channel: GENERAL, timestamp: parent.ts, name: 'not_an_emoji' }),
    ).toMatchObject({
      code: 'E_REQUEST',
      retryable: false,
    });
  });

  it('looks up a user by email and reports users_not_found', async () => {
    expect(await run('lookupUserByEmail', { email: 'ada@example.com' })).toEqual({
      id: 'U0000000001',
      name: 'ada',
      realName: 'Ada Lovelace',
      displayName: 'ada',
      timezone: 'Europe/London',
      isBot: false,
    });
    expect(await runError('lookupUserByEmail', { email: 'nobody@example.com' })).toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  it('maps ok:false errors to non-retryable errors with fix hints', async () => {
    const notFound = await runError('postMessage', { channel: 'C9999999999', text: 'x' });
    expect(notFound).toMatchObject({
      code: 'E_NOT_FOUND',
      retryable: false,
      hint: expect.stringContaining('channel ID'),
    });
    const notIn = await runError('postMessage', { channel: '#secret-plans', text: 'x' });
    expect(notIn).toMatchObject({ code: 'E_AUTH', hint: expect.stringContaining('/invite') });
    const badAuth = await runError(
      'postMessage',
      { channel: GENERAL, text: 'x' },
      { credential: { token: 'xoxb-wrong' } },
    );
    expect(badAuth).toMatchObject({ code: 'E_AUTH', hint: expect.stringContaining('vmesh credentials set') });
  });

  it('maps HTTP 429 with Retry-After and ok:false ratelimited to retryable rate-limit errors, without SDK retries', async () => {
    const count = fake.requests.length;
    fake.fail('chat.postMessage', {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': '3' },
    });
    expect(await runError('postMessage', { channel: GENERAL, text: 'x' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 3000,
    });
    expect(fake.requests.length).toBe(count + 1);
    fake.fail('chat.postMessage', { status: 200, body: { ok: false, error: 'ratelimited' } });
    expect(await runError('postMessage', { channel: GENERAL, text: 'x' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
    });
    fake.fail('chat.postMessage', { status: 503, body: 'unavailable' });
    expect(await runError('postMessage', { channel: GENERAL, text: 'x' })).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
  });

  it('asks for a credential when none is bound, naming the type and the command', async () => {
    const error = await runError('postMessage', { channel: GENERAL, text: 'x' }, { credential: undefined });
    expect(error).toMatchObject({
      code: 'E_CREDENTIAL',
      retryable: false,
      hint: expect.stringContaining('--type slack'),
    });
    const invalid = await runError(
      'postMessage',
      { channel: GENERAL, text: 'x' },
      { credential: { token: 'not-a-slack-token' } },
    );
    expect(invalid).toMatchObject({ code: 'E_CREDENTIAL' });
    expect((invalid as Error).message).not.toContain('not-a-slack-token');
  });

  it('maps an unreachable Slack to a retryable network error', async () => {
    const gone = await startSlackFake();
    await gone.close();
    const error = await runActionError(
      slackConnector,
      'postMessage',
      { channel: GENERAL, text: 'x' },
      {
        env: createTestEnvironment({ slack: gone.apiUrl }),
        credential,
      },
    );
    expect(error).toMatchObject({ code: 'E_NETWORK', retryable: true });
  });

  it('filters messagePosted trigger data', () => {
    const filters = MessagePostedFilters.parse({ channel: '#support', textContains: 'DOWN' });
    expect(messagePosted.matches?.(filters, messagePosted.sample)).toBe(true);
    expect(messagePosted.matches?.(filters, { ...(messagePosted.sample as object), botId: 'B1' })).toBe(
      false,
    );
    expect(messagePosted.matches?.(MessagePostedFilters.parse({ channel: 'C1' }), messagePosted.sample)).toBe(
      false,
    );
  });

  it('turns Slack message events into trigger data, skipping edits', () => {
    const event = { type: 'message', channel: 'C1', user: 'U1', text: 'hi', ts: '1.000001', team: 'T1' };
    expect(parseSlackMessageEvent(event, 'general')).toEqual({
      channel: 'C1',
      channelName: 'general',
      user: 'U1',
      text: 'hi',
      ts: '1.000001',
      team: 'T1',
    });
    expect(parseSlackMessageEvent({ ...event, subtype: 'message_changed' })).toBeUndefined();
    expect(parseSlackMessageEvent({ type: 'reaction_added' })).toBeUndefined();
  });

  it('doc.md has one section per action and trigger', async () => {
    const sections = docSections(await readFile(slackConnector.docPath, 'utf8'));
    expect(sections).toEqual([
      ...slackConnector.actions.map((action) => action.key),
      ...slackConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
