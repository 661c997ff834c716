import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeOAuth2Code, RECONNECT_CODE, refreshOAuth2Tokens } from '../sdk/auth/oauth2.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { xAuthOf } from './client.ts';
import { xConnector } from './connector.ts';
import { startXFake, type XFake, xProblem } from './fake-server.ts';
import { xOAuthProvider } from './oauth-provider.ts';

let fake: XFake;
let env: ReturnType<typeof createTestEnvironment>;
type Options = { credential?: unknown; credentialType?: string };

beforeAll(async () => {
  fake = await startXFake();
  env = createTestEnvironment({ x: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(xConnector, key, input, { env, credential: { token: fake.token }, ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(xConnector, key, input, { env, credential: { token: fake.token }, ...options });

const verifier = 'v'.repeat(43);
const challenge = createHash('sha256').update(verifier).digest('base64url');
const ctx = () => ({ fetch: globalThis.fetch, signal: AbortSignal.timeout(10_000), now: new Date() });
const config = () => ({
  provider: 'x',
  authorizeUrl: xOAuthProvider.authorizeUrl,
  tokenUrl: fake.oauth.tokenUrl,
  clientId: fake.oauth.clientId,
  clientSecret: fake.oauth.clientSecret,
  scopes: [...xOAuthProvider.scopes],
});

describe('x connector against the X API v2 fake', () => {
  it('posts with the bearer token and replies into the thread with reply.in_reply_to_tweet_id', async () => {
    const post = (await run('createPost', { text: 'We are live!' })) as { id: string; url: string };
    expect(post.url).toBe(`https://x.com/i/status/${post.id}`);
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/2/tweets', body: { text: 'We are live!' } });
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.token}`);

    const reply = (await run('replyToPost', { postId: post.id, text: 'Docs: https://example.com' })) as {
      id: string;
    };
    expect(fake.requests.at(-1)?.body).toEqual({
      text: 'Docs: https://example.com',
      reply: { in_reply_to_tweet_id: post.id },
    });
    expect(fake.posts().find((candidate) => candidate.id === reply.id)?.conversation_id).toBe(post.id);
  });

  it('walks next_token pages of search/recent with the authors from includes.users', async () => {
    fake.seed(230, 'launch week');
    const before = fake.requests.length;
    const found = (await run('searchRecentPosts', { query: 'launch -is:retweet', limit: 1000 })) as {
      posts: { id: string; authorUsername: string; url: string; likes: number }[];
      newestId: string;
      truncated: boolean;
    };
    expect(found.posts).toHaveLength(230);
    expect(found.truncated).toBe(false);
    expect(found.posts[0]).toMatchObject({ authorUsername: 'velocitymesh', likes: 3 });
    expect(found.posts[0]?.url).toBe(`https://x.com/velocitymesh/status/${found.posts[0]?.id}`);
    expect(found.newestId).toBe(found.posts[0]?.id);
    const pages = fake.requests.slice(before).map((request) => request.query);
    expect(pages).toHaveLength(3);
    expect(pages[0]).toMatchObject({
      query: 'launch -is:retweet',
      max_results: '100',
      expansions: 'author_id',
    });
    expect(pages[1]).toHaveProperty('next_token');
    const capped = (await run('searchRecentPosts', { query: 'launch', limit: 50 })) as {
      posts: unknown[];
      truncated: boolean;
    };
    expect(capped).toMatchObject({ truncated: true });
    expect(fake.requests.at(-1)?.query).toMatchObject({ max_results: '50' });
    const none = (await run('searchRecentPosts', { query: 'nothingmatches' })) as { posts: unknown[] };
    expect(none.posts).toEqual([]);
  });

  it('maps X errors: { errors: [...] } on a 400, a duplicate post with a hint to change the text', async () => {
    fake.fail('POST /tweets', {
      status: 400,
      body: {
        errors: [{ message: 'Your media IDs are invalid.' }],
        title: 'Invalid Request',
        detail: 'One or more parameters to your request was invalid.',
        type: 'https://api.twitter.com/2/problems/invalid-request',
      },
    });
    const invalid = await runError('createPost', { text: 'x', mediaIds: ['1'] });
    expect(invalid).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'invalid-request' } });
    expect((invalid as Error).message).toContain('Your media IDs are invalid.');

    await run('createPost', { text: 'Same again' });
    const duplicate = await runError('createPost', { text: 'Same again' });
    expect(duplicate).toMatchObject({ code: 'E_REQUEST', status: 403, retryable: false });
    expect((duplicate as { hint: string }).hint).toContain('change the text');
    const gone = await runError('replyToPost', { postId: '1', text: 'Hello?' });
    expect(gone).toMatchObject({ code: 'E_REQUEST', status: 403 });
    expect((gone as { hint: string }).hint).toContain('pick another post');
  });

  it('a 429 waits for x-rate-limit-reset; a spent limit on a success is reported to the budget', async () => {
    const reported: number[] = [];
    const budgetEnv = { ...env, reportRateLimit: async (waitMs: number) => void reported.push(waitMs) };
    fake.setRemaining(1);
    await runAction(
      xConnector,
      'createPost',
      { text: 'last one' },
      { env: budgetEnv, credential: { token: fake.token } },
    );
    expect(reported[0]).toBeGreaterThan(590_000);
    const limited = await runError('createPost', { text: 'one too many' });
    expect(limited).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true });
    expect((limited as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(590_000);
    fake.setRemaining(100);
    fake.fail('GET /tweets/search/recent', {
      status: 503,
      body: xProblem(503, 'Service Unavailable', 'Service Unavailable'),
    });
    expect(await runError('searchRecentPosts', { query: 'x' })).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
  });

  it('connects through the x OAuth2 preset (PKCE, Basic client auth) and posts with the oauth2 credential', async () => {
    const credential = await exchangeOAuth2Code(
      config(),
      { code: fake.oauth.issueCode(challenge), verifier, redirectUri: 'http://127.0.0.1/oauth/callback' },
      ctx(),
      xOAuthProvider,
    );
    expect(credential.accessToken).toMatch(/^xat-/);
    expect(credential.refreshToken).toMatch(/^xrt-/);
    const tokenRequest = fake.requests.at(-1);
    expect(tokenRequest?.headers.authorization).toMatch(/^Basic /);
    expect(tokenRequest?.body).toMatchObject({ grant_type: 'authorization_code', code_verifier: verifier });
    const post = await run(
      'createPost',
      { text: 'Posted with OAuth2' },
      { credential, credentialType: 'oauth2' },
    );
    expect(post).toMatchObject({ text: 'Posted with OAuth2' });
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${credential.accessToken}`);

    const renewed = await refreshOAuth2Tokens(credential, ctx(), xOAuthProvider);
    expect(renewed.refreshToken).not.toBe(credential.refreshToken);
    // The used refresh token is gone: X's "Value passed for the token was invalid" means connect again.
    await expect(refreshOAuth2Tokens(credential, ctx(), xOAuthProvider)).rejects.toMatchObject({
      code: RECONNECT_CODE,
    });
  });

  it('a revoked token is E_AUTH with how to connect again, and testCredential says so too', async () => {
    const check = () =>
      xConnector.testCredential?.({
        credential: xAuthOf('x', { token: fake.token }),
        client: xConnector.createClient({ credential: xAuthOf('x', { token: fake.token }), env }),
        signal: new AbortController().signal,
      });
    expect(await check()).toContain('@velocitymesh');
    const token = fake.token;
    fake.revoke();
    const error = await runError('createPost', { text: 'gone' }, { credential: { token } });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false, status: 401 });
    expect((error as { hint: string }).hint).toContain('--provider x');
    await expect(check()).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('documents every action for the agent', async () => {
    const doc = await readFile(xConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(xConnector.actions.map((action) => action.key));
  });
});
