import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorError } from '../sdk/connector-error.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { MattermostCredential } from './client.ts';
import { mattermostConnector } from './connector.ts';
import { type MattermostFake, mattermostError, startMattermostFake } from './fake-server.ts';

let fake: MattermostFake;
const env = createTestEnvironment();
const credential = () => ({ serverUrl: fake.serverUrl, token: fake.token });

beforeAll(async () => {
  fake = await startMattermostFake();
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, credentialValue: unknown = credential()) =>
  runAction(mattermostConnector, key, input, { env, credential: credentialValue });
const runError = (key: string, input: unknown, credentialValue: unknown = credential()) =>
  runActionError(mattermostConnector, key, input, { env, credential: credentialValue });

describe('mattermost connector against the Mattermost API v4 fake', () => {
  it('posts to a channel by id at the credential’s server, and by "team/channel" name', async () => {
    const post = (await run('postMessage', { channel: fake.channelId, message: 'Deploy **done**' })) as {
      id: string;
      rootId: string;
    };
    expect(post.rootId).toBe('');
    const request = fake.requests.at(-1);
    expect(request).toMatchObject({ method: 'POST', path: '/api/v4/posts' });
    expect(request?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(request?.body).toEqual({ channel_id: fake.channelId, message: 'Deploy **done**' });

    await run('postMessage', {
      channel: `${fake.teamName}/${fake.channelName}`,
      message: 'By name',
      props: { attachments: [{ text: 'All green' }] },
    });
    const [lookup, posted] = fake.requests.slice(-2);
    expect(lookup?.path).toBe(`/api/v4/teams/name/${fake.teamName}/channels/name/${fake.channelName}`);
    expect(posted?.body).toEqual({
      channel_id: fake.channelId,
      message: 'By name',
      props: { attachments: [{ text: 'All green' }] },
    });
  });

  it('replies in the thread: root_id is the thread’s first post, also when answering a reply', async () => {
    const root = (await run('postMessage', { channel: fake.channelId, message: 'Incident 42' })) as {
      id: string;
    };
    const first = (await run('replyInThread', { postId: root.id, message: 'Looking' })) as {
      rootId: string;
      id: string;
    };
    expect(first.rootId).toBe(root.id);
    const second = (await run('replyInThread', { postId: first.id, message: 'Fixed' })) as { rootId: string };
    expect(second.rootId).toBe(root.id);
    expect(fake.requests.at(-1)?.body).toEqual({
      channel_id: fake.channelId,
      root_id: root.id,
      message: 'Fixed',
    });
  });

  it('maps the AppError body: a channel the user may not post in is E_AUTH with the vendor id and a hint', async () => {
    const error = (await runError('postMessage', {
      channel: 'abcdefghijklmnopqrstuvwxyz',
      message: 'x',
    })) as ConnectorError;
    expect(error).toMatchObject({
      code: 'E_AUTH',
      details: { vendorCode: 'api.context.permissions.app_error' },
      hint: expect.stringContaining('add the user'),
    });
    expect(error.message).toContain('You do not have the appropriate permissions.');
    const missing = (await runError('postMessage', {
      channel: 'engineering/nope',
      message: 'x',
    })) as ConnectorError;
    expect(missing).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { vendorCode: 'app.channel.get_by_name.missing.app_error' },
    });
  });

  it('a 429 with X-Ratelimit-Reset is retryable with the wait', async () => {
    fake.fail('POST /posts', {
      status: 429,
      headers: { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '3' },
      body: mattermostError(429, 'api.context.rate_limit.app_error', 'limit exceeded'),
    });
    const error = (await runError('postMessage', {
      channel: fake.channelId,
      message: 'x',
    })) as ConnectorError;
    expect(error).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 3_000 });
  });

  it('a revoked token is E_AUTH with a hint to store a new one; the token is not in the error', async () => {
    const old = credential();
    fake.revoke();
    const error = (await runError(
      'postMessage',
      { channel: fake.channelId, message: 'x' },
      old,
    )) as ConnectorError;
    expect(error).toMatchObject({
      code: 'E_AUTH',
      details: { vendorCode: 'api.context.session_expired.app_error' },
    });
    expect(error.hint).toContain('vmesh credentials set NAME --type mattermost');
    expect(JSON.stringify(error)).not.toContain(old.token);
  });

  it('the server URL is checked: no user info, query or non-http scheme; trailing slashes dropped', () => {
    const token = 'abcdefghijklmnopqrstuvwxyz';
    expect(MattermostCredential.parse({ serverUrl: 'https://chat.example.com/', token }).serverUrl).toBe(
      'https://chat.example.com',
    );
    for (const serverUrl of [
      'ftp://chat.example.com',
      'https://u:p@chat.example.com',
      'https://chat.example.com/?x=1',
      'not a url',
    ]) {
      expect(MattermostCredential.safeParse({ serverUrl, token }).success, serverUrl).toBe(false);
    }
  });

  it('goes through env.fetch, the guarded fetch: a refused address never gets the token', async () => {
    const seen: string[] = [];
    const guarded = {
      ...env,
      fetch: (async (url: string | URL | Request) => {
        seen.push(String(url));
        throw Object.assign(new Error('blocked: 10.0.0.5 is a private address'), { code: 'E_SSRF' });
      }) as typeof fetch,
    };
    await expect(
      runAction(
        mattermostConnector,
        'postMessage',
        { channel: fake.channelId, message: 'x' },
        {
          env: guarded,
          credential: { serverUrl: 'http://10.0.0.5', token: fake.token },
        },
      ),
    ).rejects.toThrow();
    expect(seen).toEqual(['http://10.0.0.5/api/v4/posts']);
  });

  it('has a doc section for every action', async () => {
    const sections = docSections(await readFile(mattermostConnector.docPath, 'utf8'));
    for (const action of mattermostConnector.actions) expect(sections).toContain(action.key);
  });
});
