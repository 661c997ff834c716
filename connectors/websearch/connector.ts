import { fileURLToPath } from 'node:url';
import { defineConnector } from '../sdk/define.ts';
import { fetchPage } from './actions/fetch-page.ts';
import { search, searchWith } from './actions/search.ts';
import { createWebsearchClient, type WebsearchClient, WebsearchCredential } from './client.ts';

export const websearchConnector = defineConnector<WebsearchCredential, WebsearchClient>({
  id: 'websearch',
  version: '1.0.0',
  title: 'Web search',
  description:
    'Search the web through Brave Search, Tavily or SerpApi (one normalized { title, url, snippet } result shape), and read a public page as text.',
  credential: {
    type: 'websearch',
    schema: WebsearchCredential,
    // fetchPage needs no key; search says clearly when it has none.
    optional: true,
    howToGet:
      'An API key of one search provider: Brave Search API (api-dashboard.search.brave.com → API keys), Tavily (app.tavily.com → API keys, tvly-…) or SerpApi (serpapi.com/manage-api-key). Store it with `vmesh credentials set websearch --type websearch` as {"provider":"brave","apiKey":"…"} (provider: brave, tavily or serpapi).',
    publicFields: ['provider'],
    wireSecrets: (credential: WebsearchCredential) => [
      credential.apiKey,
      encodeURIComponent(credential.apiKey),
      `Bearer ${credential.apiKey}`,
      new URLSearchParams({ api_key: credential.apiKey }).toString(),
    ],
  },
  // Brave's free plan allows one query per second (paid plans more); Tavily and SerpApi limit per minute or hour.
  rateLimit: { requests: 1, perSeconds: 1, burst: 2 },
  createClient: ({ credential, env }) => createWebsearchClient({ credential, env }),
  async testCredential({ client, signal }) {
    await searchWith(client, { query: 'VelocityMesh', count: 1 }, signal);
    return `${client.provider ?? 'The provider'} accepts the key.`;
  },
  actions: [search, fetchPage],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
