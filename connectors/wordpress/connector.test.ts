import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { createMemoryFiles } from '../testing/memory-files.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { WordpressCredential } from './client.ts';
import { wordpressConnector } from './connector.ts';
import { startWordpressFake, type WordpressFake, wordpressError } from './fake-server.ts';
import { dispositionFileName } from './site-url.ts';

let fake: WordpressFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({
  siteUrl: 'https://blog.example.com',
  username: fake.username,
  applicationPassword: fake.applicationPassword,
});
type Options = { credential?: unknown; files?: ReturnType<typeof createMemoryFiles> };

beforeAll(async () => {
  fake = await startWordpressFake();
  env = createTestEnvironment({ wordpress: fake.url });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.setRole('author'));

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(wordpressConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(wordpressConnector, key, input, { env, credential: credential(), ...options });

describe('wordpress connector against the wp/v2 fake', () => {
  it('creates a draft with basic auth and the post fields, then publishes it with updatePost', async () => {
    const post = (await run('createPost', {
      title: 'Spring sale & more',
      content: '<p>Hello</p>',
      categories: [4],
      tags: [12],
    })) as { id: number; status: string; title: string };
    expect(post).toMatchObject({ status: 'draft', title: 'Spring sale &#038; more', categories: [4] });
    const sent = fake.requests.at(-1);
    expect(sent).toMatchObject({ method: 'POST', path: '/wp-json/wp/v2/posts' });
    expect(sent?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.username}:${fake.applicationPassword}`).toString('base64')}`,
    );
    expect(sent?.body).toEqual({
      title: 'Spring sale & more',
      content: '<p>Hello</p>',
      status: 'draft',
      categories: [4],
      tags: [12],
    });

    const published = await run('updatePost', { postId: post.id, status: 'publish', featuredMediaId: 7 });
    expect(published).toMatchObject({ id: post.id, status: 'publish', featuredMediaId: 7 });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `/wp-json/wp/v2/posts/${post.id}`,
      body: { status: 'publish', featured_media: 7 },
    });
  });

  it('uploads a stored file as raw bytes with Content-Disposition, then sets alt text and the parent post', async () => {
    const files = createMemoryFiles();
    const bytes = Buffer.from('\x89PNG fake image bytes');
    const file = files.add('Spring banner (final).png', bytes, 'image/png');
    const media = (await run('uploadMedia', { file, altText: 'A red bicycle', postId: 100 }, { files })) as {
      id: number;
      url: string;
      altText: string;
    };
    expect(media).toMatchObject({ altText: 'A red bicycle', mimeType: 'image/png' });
    expect(media.url).toContain('/wp-content/uploads/2026/12/Spring-banner-final-.png');
    const [upload, details] = fake.requests.slice(-2);
    expect(upload?.headers['content-disposition']).toBe('attachment; filename="Spring-banner-final-.png"');
    expect(upload?.headers['content-type']).toBe('image/png');
    expect(upload?.headers['content-length']).toBe(String(bytes.length));
    expect(fake.media().at(-1)?.bytes.equals(bytes)).toBe(true);
    expect(details).toMatchObject({
      path: `/wp-json/wp/v2/media/${media.id}`,
      body: { alt_text: 'A red bicycle', post: 100 },
    });
    expect(dispositionFileName('../../etc/passwd"; x=1')).toBe('etc-passwd-x-1');

    const refused = await runError(
      'uploadMedia',
      { file: files.add('tool.exe', Buffer.from('MZ'), 'application/x-msdownload') },
      { files },
    );
    expect(refused).toMatchObject({
      code: 'E_UPSTREAM',
      details: { vendorCode: 'rest_upload_sideload_error' },
    });
    expect((refused as { hint: string }).hint).toContain('file type');
  });

  it('follows Link rel="next" pages, reports X-WP-Total, and stops at limit', async () => {
    fake.seed(230);
    const before = fake.requests.length;
    const all = (await run('listPosts', { limit: 1000 })) as {
      posts: unknown[];
      total: number;
      truncated: boolean;
    };
    expect(all.total).toBeGreaterThanOrEqual(230);
    expect(all.posts).toHaveLength(all.total);
    expect(all.truncated).toBe(false);
    const pages = fake.requests.slice(before);
    expect(pages.map((request) => request.query.page)).toEqual([undefined, '2', '3']);
    expect(pages[0]?.query).toMatchObject({ per_page: '100', orderby: 'date', order: 'desc' });
    const capped = (await run('listPosts', { limit: 150, search: 'seeded' })) as {
      posts: unknown[];
      truncated: boolean;
    };
    expect(capped).toMatchObject({ truncated: true });
    expect(capped.posts).toHaveLength(150);
  });

  it('maps { code, message, data } errors: rest_cannot_create is E_AUTH with a role hint, a bad id E_NOT_FOUND', async () => {
    fake.setRole('subscriber');
    const error = await runError('createPost', { title: 'x', content: 'y' });
    expect(error).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
      status: 403,
      details: { vendorCode: 'rest_cannot_create' },
    });
    expect((error as Error).message).toContain('not allowed to create posts');
    expect((error as { hint: string }).hint).toContain('Author role');
    fake.setRole('author');
    expect(await runError('updatePost', { postId: 999_999, title: 'x' })).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { vendorCode: 'rest_post_invalid_id' },
    });
  });

  it('a 429 from the host is retryable after its Retry-After', async () => {
    fake.fail('POST /posts', {
      status: 429,
      headers: { 'retry-after': '12' },
      body: wordpressError('too_many_requests', 'Too many requests.', 429),
    });
    expect(await runError('createPost', { title: 'later', content: 'x' })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 12_000,
    });
  });

  it('a revoked application password is E_AUTH with how to store a new one; testCredential says so too', async () => {
    const stale = credential();
    const check = (value: ReturnType<typeof credential>) =>
      wordpressConnector.testCredential?.({
        credential: WordpressCredential.parse(value),
        client: wordpressConnector.createClient({ credential: WordpressCredential.parse(value), env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('Ana Lima');
    fake.revoke();
    const error = await runError('listPosts', {}, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', details: { vendorCode: 'incorrect_password' } });
    expect((error as { hint: string }).hint).toContain('--type wordpress');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('takes the API root from the credential’s https site address, through the guarded fetch', async () => {
    expect(
      WordpressCredential.safeParse({ ...credential(), siteUrl: 'http://blog.example.com' }).success,
    ).toBe(false);
    expect(
      WordpressCredential.safeParse({ ...credential(), siteUrl: 'https://u:p@blog.example.com' }).success,
    ).toBe(false);
    const client = wordpressConnector.createClient({
      credential: WordpressCredential.parse({ ...credential(), siteUrl: 'https://example.com/blog/' }),
      env: { ...env, baseUrls: {} },
    }) as { baseUrl: URL };
    expect(client.baseUrl.href).toBe('https://example.com/blog/wp-json/wp/v2/');
    const guarded = { ...env, baseUrls: {}, fetch: createSafeFetch() };
    const error = await runActionError(
      wordpressConnector,
      'listPosts',
      {},
      {
        env: guarded,
        credential: { ...credential(), siteUrl: 'https://169.254.169.254' },
      },
    );
    expect(error).toMatchObject({ code: 'E_BLOCKED_DESTINATION' });
  });

  it('documents every action for the agent', async () => {
    const doc = await readFile(wordpressConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(wordpressConnector.actions.map((action) => action.key));
  });
});
