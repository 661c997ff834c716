import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { websearchConnector } from './connector.ts';
import { braveError, startWebsearchFake, type WebsearchFake } from './fake-server.ts';

let fake: WebsearchFake;
let env: ReturnType<typeof createTestEnvironment>;
type Provider = 'brave' | 'tavily' | 'serpapi';
const keyOf = (provider: Provider) => ({ provider, apiKey: fake.keys[provider] });

beforeAll(async () => {
  fake = await startWebsearchFake();
  env = createTestEnvironment({ websearch: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, credential?: unknown, environment = env) =>
  runAction(websearchConnector, key, input, { env: environment, ...(credential ? { credential } : {}) });
const runError = (key: string, input: unknown, credential?: unknown, environment = env) =>
  runActionError(websearchConnector, key, input, { env: environment, ...(credential ? { credential } : {}) });
const lastRequest = () => fake.requests.at(-1);

const expected = [
  {
    title: 'VelocityMesh — workflow automation',
    url: 'https://velocitymesh.example/',
    snippet: 'Automate workflows with connectors and an agent.',
  },
  {
    title: 'Pricing',
    url: 'https://velocitymesh.example/pricing',
    snippet: 'Plans for teams of every size.',
  },
];

describe('websearch.search against the three providers’ fakes', () => {
  it('brave: X-Subscription-Token header, q/count/freshness/country, <strong> and non-web links dropped', async () => {
    const found = await run(
      'search',
      { query: 'velocitymesh', count: 4, freshness: 'week', country: 'de' },
      keyOf('brave'),
    );
    expect(found).toEqual({
      provider: 'brave',
      query: 'velocitymesh',
      results: [
        ...expected,
        {
          title: 'Docs',
          url: 'https://docs.velocitymesh.example/start',
          snippet: 'Getting started in five minutes.',
        },
      ],
    });
    expect(lastRequest()).toMatchObject({
      method: 'GET',
      path: '/res/v1/web/search',
      query: { q: 'velocitymesh', count: '4', freshness: 'pw', country: 'de' },
    });
    expect(lastRequest()?.headers['x-subscription-token']).toBe(fake.keys.brave);
    expect(lastRequest()?.headers.authorization).toBeUndefined();
  });

  it('reads Brave’s entities and markup as plain text', async () => {
    fake.fail('GET /res/v1/web/search', {
      status: 200,
      body: {
        type: 'search',
        web: {
          results: [
            {
              title: 'Tom &amp; Jerry&#x27;s <strong>shop</strong>',
              url: 'https://tj.example/',
              description: 'A&nbsp;<b>real</b>   shop',
            },
          ],
        },
      },
    });
    expect(await run('search', { query: 'shop' }, keyOf('brave'))).toMatchObject({
      results: [{ title: "Tom & Jerry's shop", snippet: 'A real shop' }],
    });
  });

  it('tavily: POST /search with a bearer key and a JSON body', async () => {
    const found = await run(
      'search',
      { query: 'velocitymesh', count: 2, freshness: 'month' },
      keyOf('tavily'),
    );
    expect(found).toEqual({ provider: 'tavily', query: 'velocitymesh', results: expected });
    expect(lastRequest()).toMatchObject({
      method: 'POST',
      path: '/search',
      body: {
        query: 'velocitymesh',
        max_results: 2,
        search_depth: 'basic',
        topic: 'general',
        time_range: 'month',
      },
    });
    expect(lastRequest()?.headers.authorization).toBe(`Bearer ${fake.keys.tavily}`);
  });

  it('serpapi: api_key in the query, engine=google; an answer with no results is an empty list', async () => {
    const found = await run(
      'search',
      { query: 'velocitymesh', count: 2, freshness: 'day' },
      keyOf('serpapi'),
    );
    expect(found).toEqual({ provider: 'serpapi', query: 'velocitymesh', results: expected });
    expect(lastRequest()).toMatchObject({
      path: '/search.json',
      query: { engine: 'google', q: 'velocitymesh', num: '2', tbs: 'qdr:d', api_key: fake.keys.serpapi },
    });
    expect(await run('search', { query: 'no results at all' }, keyOf('serpapi'))).toMatchObject({
      results: [],
    });
  });

  it('without a credential search says what to store', async () => {
    const error = await runError('search', { query: 'x' });
    expect(error).toMatchObject({ code: 'E_CREDENTIAL' });
    expect((error as { hint: string }).hint).toContain('--type websearch');
  });

  it('a Brave 429 is retryable after a second; a used-up SerpApi plan is not retried', async () => {
    fake.fail('GET /res/v1/web/search', {
      status: 429,
      headers: {
        'x-ratelimit-limit': '1, 2000',
        'x-ratelimit-remaining': '0, 1500',
        'x-ratelimit-reset': '1, 2419200',
      },
      body: braveError(429, 'RATE_LIMITED', 'Request rate limit exceeded for plan.'),
    });
    const limited = await runError('search', { query: 'x' }, keyOf('brave'));
    expect(limited).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 1000,
      details: { vendorCode: 'RATE_LIMITED' },
    });
    fake.fail('GET /search.json', { status: 429, body: { error: 'Your account has run out of searches.' } });
    const spent = await runError('search', { query: 'x' }, keyOf('serpapi'));
    expect(spent).toMatchObject({ code: 'E_RATE_LIMITED', retryable: false });
    expect((spent as { hint: string }).hint).toContain('used up');
  });

  it('a refused parameter is E_REQUEST with the provider’s words', async () => {
    fake.fail('GET /res/v1/web/search', {
      status: 422,
      body: braveError(422, 'VALIDATION', 'Unable to validate request parameter(s)'),
    });
    const error = await runError('search', { query: 'x' }, keyOf('brave'));
    expect(error).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'VALIDATION' } });
    expect((error as Error).message).toContain('Unable to validate');
  });

  it('revoked keys are E_AUTH with how to store a new one, never echoing the key; testCredential says so too', async () => {
    const stale = (['brave', 'tavily', 'serpapi'] as const).map(keyOf);
    const check = (credential: (typeof stale)[number]) =>
      websearchConnector.testCredential?.({
        credential,
        client: websearchConnector.createClient({ credential, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale[0] ?? keyOf('brave'))).toBe('brave accepts the key.');
    fake.revoke();
    for (const credential of stale) {
      const error = await runError('search', { query: 'x' }, credential);
      expect(error, credential.provider).toMatchObject({ code: 'E_AUTH', retryable: false });
      expect((error as { hint: string }).hint).toContain('--type websearch');
      expect(JSON.stringify(error)).not.toContain(credential.apiKey);
      await expect(check(credential)).rejects.toMatchObject({ code: 'E_AUTH' });
    }
  });
});

describe('websearch.fetchPage', () => {
  const article = `<!doctype html><html><head><title>  Pricing — VelocityMesh </title>
    <meta name="description" content="Plans for teams of every size."><script>var secret = 1;</script><style>p{}</style></head>
    <body><nav><a href="/">Home</a> <a href="/docs">Docs</a></nav>
    <main><h1>Pricing</h1><p>Start free, then <a href="/team">Team</a> at 20 € per seat.</p>
    <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Team</td><td>20 €</td></tr></table><img src="x.png"></main>
    <footer>© 2026</footer></body></html>`;

  it('reads a page’s title, description and text without scripts, menus or markup, and sends no credential', async () => {
    fake.page('/pages/pricing', { body: article });
    const page = (await run('fetchPage', { url: `${fake.url}/pages/pricing` }, keyOf('brave'))) as Record<
      string,
      unknown
    >;
    expect(page).toMatchObject({
      status: 200,
      contentType: 'text/html',
      title: 'Pricing — VelocityMesh',
      description: 'Plans for teams of every size.',
      truncated: false,
    });
    const text = String(page.text);
    expect(text).toContain('Pricing');
    expect(text).toContain('Start free, then Team at 20 € per seat.');
    expect(text).toMatch(/Team\s+20 €/);
    expect(text).not.toMatch(/secret|Home|©|<|x\.png/);
    expect(lastRequest()?.headers['x-subscription-token']).toBeUndefined();
    expect(lastRequest()?.headers.authorization).toBeUndefined();
  });

  it('cuts the text at maxChars and a huge page at 2 MiB', async () => {
    fake.page('/pages/long', { body: `<html><body><p>${'word '.repeat(2000)}</p></body></html>` });
    const short = (await run('fetchPage', { url: `${fake.url}/pages/long`, maxChars: 100 })) as {
      text: string;
      truncated: boolean;
    };
    expect(short.text).toHaveLength(100);
    expect(short.truncated).toBe(true);
    fake.page('/pages/huge', { body: `<html><body><p>${'x'.repeat(3 * 1024 * 1024)}</p></body></html>` });
    expect(await run('fetchPage', { url: `${fake.url}/pages/huge` })).toMatchObject({ truncated: true });
  });

  it('reads plain text, refuses other content types, maps a 404', async () => {
    fake.page('/pages/notes.txt', { body: 'Just text.\n', contentType: 'text/plain; charset=utf-8' });
    expect(await run('fetchPage', { url: `${fake.url}/pages/notes.txt` })).toMatchObject({
      text: 'Just text.',
      title: null,
    });
    fake.page('/pages/file.pdf', { body: Buffer.from('%PDF-1.7'), contentType: 'application/pdf' });
    expect(await runError('fetchPage', { url: `${fake.url}/pages/file.pdf` })).toMatchObject({
      code: 'E_UNSUPPORTED_CONTENT',
    });
    expect(await runError('fetchPage', { url: `${fake.url}/pages/missing` })).toMatchObject({
      code: 'E_NOT_FOUND',
      status: 404,
    });
    expect(await runError('fetchPage', { url: 'file:///etc/passwd' })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('goes through the guarded fetch: a private address is refused, an allowed host is read after a redirect', async () => {
    const guarded = { ...env, fetch: createSafeFetch() };
    const refused = await runError('fetchPage', { url: `${fake.url}/pages/pricing` }, undefined, guarded);
    expect(refused).toMatchObject({ code: 'E_BLOCKED_DESTINATION', retryable: false });
    fake.page('/pages/moved', { body: '', status: 301, location: '/pages/pricing' });
    const allowed = { ...env, fetch: createSafeFetch({ allowHosts: ['127.0.0.1'] }) };
    const page = await run('fetchPage', { url: `${fake.url}/pages/moved` }, undefined, allowed);
    expect(page).toMatchObject({ url: `${fake.url}/pages/pricing`, title: 'Pricing — VelocityMesh' });
  });

  it('documents every action', async () => {
    const doc = await readFile(websearchConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual(websearchConnector.actions.map((action) => action.key));
  });
});
