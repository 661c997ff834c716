import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { createCatalog } from '../../runtime/workflow/catalog.ts';
import { validateWorkflow } from '../../runtime/workflow/validate.ts';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { MAX_FEED_BYTES } from './client.ts';
import { rssConnector } from './connector.ts';
import { type RssFake, renderRss, startRssFake } from './fake-server.ts';
import { FEED_LIMITS } from './feed-items.ts';
import { toPlainText, truncate } from './plain-text.ts';
import { type NewItemState, newItem } from './triggers/new-item.ts';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

let fake: RssFake;
const env = createTestEnvironment();
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  fake = await startRssFake();
});
afterAll(async () => {
  await fake.close();
});

async function poll(
  withValue: Record<string, unknown>,
  options: { state?: NewItemState; env?: ConnectorEnvironment; signal?: AbortSignal } = {},
) {
  const filters = newItem.with.parse(withValue);
  const environment = options.env ?? env;
  const signal = options.signal ?? new AbortController().signal;
  const client = rssConnector.createClient({ credential: undefined, env: environment, signal });
  return newItem.poll({ credential: undefined, client, logger, signal, env: environment }, filters, {
    after: undefined,
    state: options.state,
  });
}

async function pollError(...args: Parameters<typeof poll>): Promise<ConnectorError> {
  try {
    await poll(...args);
  } catch (error) {
    if (error instanceof ConnectorError) return error;
    throw error;
  }
  throw new Error('expected the poll to fail');
}

describe('rss.newItem: parsing the specs’ sample feeds', () => {
  it('reads the RSS 2.0 specification sample: newest first, plain-text summaries, untitled items', async () => {
    fake.serve('/liftoff.xml', { body: fixture('rss2-spec-sample.xml') });
    const { items, state } = await poll({ url: `${fake.url}/liftoff.xml` });
    expect(items.map((item) => item.id)).toEqual([
      'http://liftoff.msfc.nasa.gov/2003/06/03.html#item573',
      'http://liftoff.msfc.nasa.gov/2003/05/30.html#item572',
      'http://liftoff.msfc.nasa.gov/2003/05/27.html#item571',
      'http://liftoff.msfc.nasa.gov/2003/05/20.html#item570',
    ]);
    expect(items[0]).toEqual({
      id: 'http://liftoff.msfc.nasa.gov/2003/06/03.html#item573',
      at: Date.parse('Tue, 03 Jun 2003 09:39:21 GMT'),
      data: {
        id: 'http://liftoff.msfc.nasa.gov/2003/06/03.html#item573',
        title: 'Star City',
        link: 'http://liftoff.msfc.nasa.gov/news/2003/news-starcity.asp',
        published: '2003-06-03T09:39:21.000Z',
        summary:
          "How do Americans get ready to work with Russians aboard the International Space Station? They take a crash course in culture, language and protocol at Russia's Star City.",
      },
    });
    // RSS 2.0 allows an item with only a description: no title, no link.
    expect(items[1]?.data).toMatchObject({
      title: '',
      link: null,
      summary:
        'Sky watchers in Europe, Asia, and parts of Alaska and Canada will experience a partial eclipse of the Sun on Saturday, May 31st.',
    });
    for (const item of items) expect(newItem.data.safeParse(item.data).success).toBe(true);
    expect(state).toEqual({ url: `${fake.url}/liftoff.xml`, etag: expect.any(String) });
  });

  it('reads the RFC 4287 Atom examples: id, alternate link, published before updated, xhtml content', async () => {
    fake.serve('/minimal.atom', {
      body: fixture('atom-rfc4287-minimal.xml'),
      contentType: 'application/atom+xml',
    });
    fake.serve('/extensive.atom', {
      body: fixture('atom-rfc4287-extensive.xml'),
      contentType: 'application/atom+xml',
    });
    const minimal = await poll({ url: `${fake.url}/minimal.atom` });
    expect(minimal.items).toEqual([
      {
        id: 'urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a',
        at: Date.parse('2003-12-13T18:30:02Z'),
        data: {
          id: 'urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a',
          title: 'Atom-Powered Robots Run Amok',
          link: 'http://example.org/2003/12/13/atom03',
          published: '2003-12-13T18:30:02.000Z',
          summary: 'Some text.',
        },
      },
    ]);
    expect(newItem.sample).toEqual(minimal.items[0]?.data);
    const extensive = await poll({ url: `${fake.url}/extensive.atom` });
    expect(extensive.items).toEqual([
      {
        id: 'tag:example.org,2003:3.2397',
        at: Date.parse('2003-12-13T12:29:29Z'),
        data: {
          id: 'tag:example.org,2003:3.2397',
          title: 'Atom draft-07 snapshot',
          link: 'http://example.org/2005/04/02/atom',
          published: '2003-12-13T12:29:29.000Z',
          summary: '[Update: The Atom draft is finished.]',
        },
      },
    ]);
  });

  it('decodes the charset the XML declaration or a UTF-16 byte order mark names', async () => {
    const xml = renderRss('Café', [
      { guid: 'a', title: 'Crème brûlée', pubDate: 'Tue, 03 Jun 2003 09:39:21 GMT' },
    ]);
    fake.serve('/latin1.xml', {
      body: Buffer.from(xml.replace('encoding="utf-8"', 'encoding="ISO-8859-1"'), 'latin1'),
      contentType: 'application/rss+xml',
    });
    const { items } = await poll({ url: `${fake.url}/latin1.xml` });
    expect(items[0]?.data.title).toBe('Crème brûlée');
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(xml.replace('utf-8', 'utf-16'), 'utf16le'),
    ]);
    fake.serve('/utf16.xml', { body: utf16, contentType: 'application/rss+xml' });
    expect((await poll({ url: `${fake.url}/utf16.xml` })).items[0]?.data.title).toBe('Crème brûlée');
  });
});

describe('rss.newItem: items without dates, ids or links', () => {
  it('gives undated entries at 0 and published null, and ids from guid, else link, else a stable hash', async () => {
    const feed = renderRss('undated', [
      { guid: 'guid-1', title: 'has a guid' },
      { link: 'https://example.com/posts/2', title: 'has only a link' },
      { title: 'has neither', description: 'just <b>text</b>' },
      { title: 'has neither', description: 'just <b>text</b>' },
      { title: 'dated', guid: 'guid-5', pubDate: 'Fri, 30 May 2003 11:06:42 GMT' },
    ]);
    fake.serve('/undated.xml', { body: feed });
    const first = await poll({ url: `${fake.url}/undated.xml` });
    expect(
      first.items.map((item) => [item.id.replace(/^sha256:[0-9a-f]{64}$/, 'sha256:…'), item.at]),
    ).toEqual([
      ['guid-5', Date.parse('Fri, 30 May 2003 11:06:42 GMT')],
      ['guid-1', 0],
      ['https://example.com/posts/2', 0],
      // Two identical entries are one item.
      ['sha256:…', 0],
    ]);
    expect(first.items[1]?.data).toEqual({
      id: 'guid-1',
      title: 'has a guid',
      link: null,
      published: null,
      summary: '',
    });
    const again = await poll({ url: `${fake.url}/undated.xml` });
    expect(again.items.map((item) => item.id)).toEqual(first.items.map((item) => item.id));
  });

  it('counts a date in the future as now, so one entry cannot hold the watermark above those to come', async () => {
    fake.serve('/future.xml', {
      body: renderRss('future', [
        { guid: 'f', title: 'from 2999', pubDate: 'Tue, 01 Jan 2999 00:00:00 GMT' },
      ]),
    });
    const before = Date.now();
    const { items } = await poll({ url: `${fake.url}/future.xml` });
    expect(items[0]?.at).toBeGreaterThanOrEqual(before);
    expect(items[0]?.at).toBeLessThanOrEqual(Date.now());
    expect(items[0]?.data.published).toBe('2999-01-01T00:00:00.000Z');
  });
});

describe('rss.newItem: conditional GET', () => {
  it('sends the ETag back; a 304 returns no items and keeps the state', async () => {
    fake.serve('/etag.xml', { body: fixture('rss2-spec-sample.xml') });
    const url = `${fake.url}/etag.xml`;
    const first = await poll({ url });
    expect(first.items).toHaveLength(4);
    const etag = first.state?.etag;
    expect(etag).toMatch(/^".+"$/);
    const second = await poll({ url }, { state: first.state });
    expect(fake.requests.at(-1)?.headers['if-none-match']).toBe(etag);
    expect(second).toEqual({ items: [], state: first.state });
    // The feed changes: a full answer with the new ETag.
    fake.serve('/etag.xml', { body: renderRss('changed', [{ guid: 'n', title: 'new' }]) });
    const third = await poll({ url }, { state: first.state });
    expect(third.items.map((item) => item.id)).toEqual(['n']);
    expect(third.state?.etag).not.toBe(etag);
  });

  it('sends Last-Modified back as If-Modified-Since, and ignores validators of another URL', async () => {
    const lastModified = 'Tue, 10 Jun 2003 09:41:01 GMT';
    fake.serve('/modified.xml', { body: fixture('rss2-spec-sample.xml'), etag: false, lastModified });
    const url = `${fake.url}/modified.xml`;
    const first = await poll({ url });
    expect(first.state).toEqual({ url, lastModified });
    expect(await poll({ url }, { state: first.state })).toEqual({ items: [], state: first.state });
    expect(fake.requests.at(-1)?.headers['if-modified-since']).toBe(lastModified);
    const elsewhere = await poll({ url }, { state: { url: `${fake.url}/other.xml`, lastModified } });
    expect(fake.requests.at(-1)?.headers['if-modified-since']).toBeUndefined();
    expect(elsewhere.items).toHaveLength(4);
  });
});

describe('rss.newItem: failures', () => {
  it('refuses an answer that is not XML, naming the URL (without its query) and what came back', async () => {
    fake.serve('/page', {
      body: '<!doctype html><html><body>My blog</body></html>',
      contentType: 'text/html',
    });
    const html = await pollError({ url: `${fake.url}/page?token=s3cret-feed-token` });
    expect(html.code).toBe('E_FEED_INVALID');
    expect(html.message).toContain(`${fake.url}/page`);
    expect(html.message).toContain('"text/html"');
    expect(html.message).toContain('<!doctype html>');
    expect(html.message).not.toContain('s3cret-feed-token');
    expect(html.hint).toMatch(/not the web page/);
    expect(html.retryable).toBe(true);

    fake.serve('/api.json', { body: '{"items":[]}', contentType: 'application/json' });
    const json = await pollError({ url: `${fake.url}/api.json` });
    expect(json.code).toBe('E_FEED_INVALID');
    expect(json.message).toMatch(
      /the body is not XML.*"application\/json; charset=utf-8".*starting "\{"items":\[\]\}"/,
    );

    fake.serve('/empty.xml', { body: '' });
    expect((await pollError({ url: `${fake.url}/empty.xml` })).message).toContain('an empty body');
  });

  it('maps HTTP errors: 404 and 401 need a change, 503 and 429 are retried (Retry-After kept)', async () => {
    const notFound = await pollError({ url: `${fake.url}/missing.xml` });
    expect(notFound).toMatchObject({ code: 'E_NOT_FOUND', retryable: false, status: 404 });
    expect(notFound.message).toContain(`GET ${fake.url}/missing.xml answered 404`);
    expect(notFound.hint).toMatch(/feed URL/);
    fake.serve('/flaky.xml', { body: fixture('rss2-spec-sample.xml') });
    fake.fail('/flaky.xml', { status: 401, body: 'login required' });
    expect(await pollError({ url: `${fake.url}/flaky.xml` })).toMatchObject({
      code: 'E_AUTH',
      retryable: false,
    });
    fake.fail('/flaky.xml', { status: 503, body: 'down for maintenance' });
    expect(await pollError({ url: `${fake.url}/flaky.xml` })).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
    fake.fail('/flaky.xml', { status: 429, headers: { 'retry-after': '120' } });
    expect(await pollError({ url: `${fake.url}/flaky.xml` })).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 120_000,
    });
    expect((await poll({ url: `${fake.url}/flaky.xml` })).items).toHaveLength(4);
  });

  it('stops reading past 5 MiB, with or without a Content-Length', async () => {
    const entry = { guid: 'x', title: 'x', description: 'y'.repeat(1024 * 1024) };
    const big = renderRss(
      'big',
      Array.from({ length: 6 }, (_, index) => ({ ...entry, guid: `g${index}` })),
    );
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_FEED_BYTES);
    fake.serve('/big.xml', { body: big });
    fake.serve('/big-chunked.xml', { body: big, chunked: true });
    for (const path of ['/big.xml', '/big-chunked.xml']) {
      const error = await pollError({ url: `${fake.url}${path}` });
      expect(error.code).toBe('E_FEED_TOO_LARGE');
      expect(error.message).toContain(`${fake.url}${path} is larger than ${MAX_FEED_BYTES} bytes`);
    }
  });

  it('goes through the environment’s guarded fetch and the poll’s AbortSignal', async () => {
    fake.serve('/guarded.xml', { body: fixture('rss2-spec-sample.xml') });
    const url = `${fake.url}/guarded.xml`;
    const guarded = { ...env, fetch: createSafeFetch() };
    expect(await pollError({ url }, { env: guarded })).toMatchObject({ code: 'E_BLOCKED_DESTINATION' });
    const allowed = { ...env, fetch: createSafeFetch({ allowHosts: ['127.0.0.1'] }) };
    expect((await poll({ url }, { env: allowed })).items).toHaveLength(4);
    const aborted = new AbortController();
    aborted.abort(new Error('poll took too long'));
    await expect(poll({ url }, { env: allowed, signal: aborted.signal })).rejects.toThrow(
      'poll took too long',
    );
  });
});

describe('rss.newItem: hostile feeds', () => {
  it('caps titles and summaries, drops script content and non-http links, hashes huge ids', async () => {
    const feed = renderRss('hostile', [
      {
        guid: 'i'.repeat(5000),
        title: `<b>${'T'.repeat(5000)}</b>`,
        link: 'javascript:alert(1)',
        description: `<script>steal()</script><style>p{}</style><p>Hello</p><!-- hidden -->world ${'s'.repeat(10_000)}`,
      },
      { guid: 'data', title: 'data link', link: 'data:text/html,<script>x</script>' },
    ]);
    fake.serve('/hostile.xml', { body: feed });
    const { items } = await poll({ url: `${fake.url}/hostile.xml` });
    const [first, second] = items;
    expect(first?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first?.data.id).toBe(first?.id);
    expect(Array.from(first?.data.title ?? '')).toHaveLength(FEED_LIMITS.titleChars);
    expect(first?.data.title.endsWith('…')).toBe(true);
    expect(Array.from(first?.data.summary ?? '')).toHaveLength(FEED_LIMITS.summaryChars);
    expect(first?.data.summary.startsWith('Hello world sss')).toBe(true);
    expect(first?.data.link).toBeNull();
    expect(second?.data.link).toBeNull();
  });

  it('keeps at most 500 entries, the newest', async () => {
    const entries = Array.from({ length: 600 }, (_, index) => ({
      guid: `e${index}`,
      title: `entry ${index}`,
      pubDate: new Date(Date.UTC(2020, 0, 1) + index * 60_000).toUTCString(),
    }));
    fake.serve('/many.xml', { body: renderRss('many', entries) });
    const { items } = await poll({ url: `${fake.url}/many.xml` });
    expect(items).toHaveLength(FEED_LIMITS.items);
    expect(items[0]?.id).toBe('e599');
    expect(items.at(-1)?.id).toBe('e100');
  });

  it('does not expand entity bombs: nested entities stay as written, a flat one over the limit is refused', async () => {
    const levels = Array.from(
      { length: 9 },
      (_, level) => `<!ENTITY lol${level + 1} "${`&lol${level};`.repeat(10)}">`,
    ).join('');
    const nested = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">${levels}]><rss version="2.0"><channel><title>t</title><item><guid>b</guid><title>&lol9;</title></item></channel></rss>`;
    fake.serve('/bomb.xml', { body: nested });
    const { items } = await poll({ url: `${fake.url}/bomb.xml` });
    expect(items.map((item) => item.data.title)).toEqual(['&lol9;']);
    const flat = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "${'x'.repeat(9000)}">]><rss version="2.0"><channel><title>t</title><item><guid>b</guid><title>${'&a;'.repeat(100_000)}</title></item></channel></rss>`;
    fake.serve('/flat-bomb.xml', { body: flat });
    const error = await pollError({ url: `${fake.url}/flat-bomb.xml` });
    expect(error.code).toBe('E_FEED_INVALID');
    expect(error.message).toContain('the XML could not be read');
  });
});

describe('plain text', () => {
  it('removes markup but keeps a < that starts no tag, and spaces block elements apart', () => {
    expect(toPlainText('<p>One</p><p>Two <a href="x>y">link</a>.</p>')).toBe('One Two link.');
    expect(toPlainText('if a < b and c <= d')).toBe('if a < b and c <= d');
    expect(toPlainText('line<br/>break<SCRIPT type="x">bad()</SCRIPT> end')).toBe('line break end');
    expect(toPlainText('unclosed <b')).toBe('unclosed');
    expect(truncate('😀'.repeat(10), 5)).toBe('😀😀😀😀…');
    expect(truncate('short', 5)).toBe('short');
  });
});

describe('rss.newItem: trigger.with through the validator', () => {
  const catalog = createCatalog([rssConnector]);
  const document = (withValue: unknown) => ({
    schemaVersion: 1,
    name: 'feed',
    trigger: { type: 'rss.newItem', with: withValue },
    nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.title }}' } }],
    edges: [],
  });
  const errors = (withValue: unknown) =>
    validateWorkflow(document(withValue), { catalog }).errors.map((issue) => [
      issue.code,
      issue.path,
      issue.message,
    ]);

  it('accepts an http(s) URL, defaults intervalSeconds to 300', () => {
    expect(errors({ url: 'https://example.com/feed.xml' })).toEqual([]);
    expect(errors({ url: 'http://example.com/feed.xml', intervalSeconds: 1 })).toEqual([]);
    const filters = newItem.with.parse({ url: 'https://example.com/feed.xml' });
    expect(filters.intervalSeconds).toBe(300);
    expect(newItem.intervalMs(filters)).toBe(300_000);
    expect(newItem.intervalMs(newItem.with.parse({ url: 'https://example.com/f', intervalSeconds: 1 }))).toBe(
      1000,
    );
  });

  it('refuses a missing or non-http(s) URL, an interval under 1 second or not whole, and unknown fields', () => {
    expect(errors({})).toEqual([
      ['E_TRIGGER', '/trigger/with/url', expect.stringContaining('trigger.with.url')],
    ]);
    for (const url of [
      'ftp://example.com/feed.xml',
      'file:///etc/passwd',
      'example.com/feed.xml',
      'not a url',
    ]) {
      expect(errors({ url })).toEqual([
        [
          'E_TRIGGER',
          '/trigger/with/url',
          expect.stringContaining('an absolute http(s) URL of an RSS or Atom feed'),
        ],
      ]);
    }
    for (const intervalSeconds of [0, -5, 1.5, '60']) {
      expect(errors({ url: 'https://example.com/feed.xml', intervalSeconds })).toEqual([
        ['E_TRIGGER', '/trigger/with/intervalSeconds', expect.stringContaining('rss.newItem')],
      ]);
    }
    expect(errors({ url: 'https://example.com/feed.xml', every: 60 })).toEqual([
      ['E_TRIGGER', '/trigger/with', expect.stringContaining('every')],
    ]);
  });
});
