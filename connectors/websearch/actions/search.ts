import { load } from 'cheerio';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineAction } from '../../sdk/define.ts';
import type { RestRequest } from '../../sdk/rest/index.ts';
import type { SearchProvider, WebsearchClient, WebsearchCredential } from '../client.ts';

export const SearchInput = z.strictObject({
  query: z
    .string()
    .min(1)
    .max(400)
    .describe('What to search for, as a person would type it, e.g. "best CRM for small agencies 2026".'),
  count: z.number().int().min(1).max(20).default(10).describe('How many results (1–20, default 10).'),
  freshness: z
    .enum(['day', 'week', 'month', 'year'])
    .optional()
    .describe('Only pages from the last day, week, month or year, e.g. "week" for news.'),
  country: z
    .string()
    .regex(/^[a-z]{2}$/, 'a two-letter country code in lower case')
    .optional()
    .describe('Results for this country, e.g. "de" (Brave and SerpApi; Tavily ranks without it).'),
});
type SearchInput = z.output<typeof SearchInput>;

const Result = z.object({
  title: z.string().describe('The page title.'),
  url: z.string().describe('The page address.'),
  snippet: z.string().describe('A short excerpt of the page about the query.'),
});
export const SearchOutput = z.object({
  provider: z.string().describe('Which search API answered.'),
  query: z.string().describe('The query as sent.'),
  results: z.array(Result).describe('Results in the provider’s ranking, each { title, url, snippet }.'),
});
type Result = z.infer<typeof Result>;

const MAX_TITLE = 500;
const MAX_SNIPPET = 2000;
const WebUrl = z.url({ protocol: /^https?$/ }).max(4096);

const Brave = z.object({
  web: z
    .object({
      results: z
        .array(z.object({ title: z.string(), url: z.string(), description: z.string().default('') }).loose())
        .max(50),
    })
    .optional(),
});
const Tavily = z.object({
  results: z
    .array(z.object({ title: z.string(), url: z.string(), content: z.string().default('') }).loose())
    .max(50),
});
const Serp = z.object({
  organic_results: z
    .array(z.object({ title: z.string(), link: z.string(), snippet: z.string().default('') }).loose())
    .max(100)
    .default([]),
});

const BRAVE_FRESHNESS = { day: 'pd', week: 'pw', month: 'pm', year: 'py' } as const;
const SERP_FRESHNESS = { day: 'qdr:d', week: 'qdr:w', month: 'qdr:m', year: 'qdr:y' } as const;

function requestFor(provider: SearchProvider, input: SearchInput): RestRequest {
  switch (provider) {
    case 'brave':
      return {
        method: 'GET',
        path: '/res/v1/web/search',
        query: {
          q: input.query,
          count: input.count,
          freshness: input.freshness ? BRAVE_FRESHNESS[input.freshness] : undefined,
          country: input.country,
        },
      };
    case 'tavily':
      return {
        method: 'POST',
        path: '/search',
        json: {
          query: input.query,
          max_results: input.count,
          search_depth: 'basic',
          topic: 'general',
          ...(input.freshness ? { time_range: input.freshness } : {}),
        },
      };
    case 'serpapi':
      return {
        method: 'GET',
        path: '/search.json',
        query: {
          engine: 'google',
          q: input.query,
          num: input.count,
          tbs: input.freshness ? SERP_FRESHNESS[input.freshness] : undefined,
          gl: input.country,
        },
      };
  }
}

function resultsOf(provider: SearchProvider, body: unknown): Result[] {
  const raw =
    provider === 'brave'
      ? (Brave.parse(body).web?.results ?? []).map((item) => ({
          title: item.title,
          url: item.url,
          snippet: item.description,
        }))
      : provider === 'tavily'
        ? Tavily.parse(body).results.map((item) => ({
            title: item.title,
            url: item.url,
            snippet: item.content,
          }))
        : Serp.parse(body).organic_results.map((item) => ({
            title: item.title,
            url: item.link,
            snippet: item.snippet,
          }));
  // Search answers are the web's text: only http(s) links, and titles and snippets cut to a sane size.
  return raw.flatMap((item) =>
    WebUrl.safeParse(item.url).success
      ? [
          {
            title: plain(item.title).slice(0, MAX_TITLE),
            url: item.url,
            snippet: plain(item.snippet).slice(0, MAX_SNIPPET),
          },
        ]
      : [],
  );
}

/** Brave marks the query's words with <strong> and escapes entities; the result shape is plain text. */
function plain(text: string): string {
  const decoded = /[<&]/.test(text) ? load(text, null, false).text() : text;
  return decoded.replace(/\s+/g, ' ').trim();
}

/** One search with the credential's provider; the normalized results. */
export async function searchWith(
  client: WebsearchClient,
  input: SearchInput,
  signal: AbortSignal,
): Promise<z.infer<typeof SearchOutput>> {
  const { provider } = client;
  if (!provider) {
    throw new ConnectorError({
      code: 'E_CREDENTIAL',
      message: 'websearch.search needs a search API key, and the node has no credential.',
      retryable: false,
      hint: 'Store one with `vmesh credentials set websearch --type websearch` ({"provider":"brave","apiKey":"…"}) and name it in the node’s `credential`.',
    });
  }
  const response = await client.rest.send(requestFor(provider, input), signal);
  return { provider, query: input.query, results: resultsOf(provider, response.body).slice(0, input.count) };
}

export const search = defineAction<
  typeof SearchInput,
  typeof SearchOutput,
  WebsearchCredential,
  WebsearchClient
>({
  key: 'search',
  title: 'Search the web',
  description:
    'Search the web (Brave, Tavily or Google through SerpApi, whichever key the credential holds) and get the top results as { title, url, snippet }. Use fetchPage on a result to read the page itself.',
  effect: 'read',
  idempotent: true,
  input: SearchInput,
  output: SearchOutput,
  run: (input, ctx) => searchWith(ctx.client, input, ctx.signal),
});
