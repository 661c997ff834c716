import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { apiKeyHeaderStyle, bearerStyle } from '../sdk/auth/header-styles.ts';
import { apiKeyQueryStyle } from '../sdk/auth/url-styles.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient } from '../sdk/rest/index.ts';

export const SearchProvider = z
  .enum(['brave', 'tavily', 'serpapi'])
  .describe(
    'The search API the key is for: "brave" (Brave Search API), "tavily" (Tavily) or "serpapi" (SerpApi, Google results).',
  );
export type SearchProvider = z.infer<typeof SearchProvider>;

export const WebsearchCredential = z.strictObject({
  provider: SearchProvider,
  apiKey: z.string().min(8).max(512).describe('The provider’s API key.'),
});
export type WebsearchCredential = z.infer<typeof WebsearchCredential>;

const BASE_URLS: Record<SearchProvider, string> = {
  brave: 'https://api.search.brave.com',
  tavily: 'https://api.tavily.com',
  serpapi: 'https://serpapi.com',
};

const STORE_HINT =
  'store a new key with `vmesh credentials set NAME --type websearch` ({"provider":"…","apiKey":"…"})';

/** Brave `{ error: { code, detail } }`, Tavily `{ detail: { error } }`, SerpApi `{ error }`. */
const ProviderError = z.union([
  z.object({
    error: z
      .object({ code: z.string().optional(), detail: z.string().optional(), message: z.string().optional() })
      .loose(),
  }),
  z.object({ detail: z.union([z.object({ error: z.string() }), z.string()]) }),
  z.object({ error: z.string() }),
]);

function apiOf(provider: SearchProvider): RestApi<WebsearchCredential> {
  return {
    connector: 'websearch',
    baseUrl: BASE_URLS[provider],
    auth(credential) {
      switch (provider) {
        case 'brave':
          return bindAuth(apiKeyHeaderStyle, { name: 'X-Subscription-Token', value: credential.apiKey });
        case 'tavily':
          return bindAuth(bearerStyle, { token: credential.apiKey });
        case 'serpapi':
          return bindAuth(apiKeyQueryStyle, { name: 'api_key', value: credential.apiKey });
      }
    },
    vendorError(body, status) {
      const parsed = ProviderError.safeParse(body);
      if (!parsed.success) return undefined;
      const data = parsed.data;
      const message =
        'detail' in data
          ? typeof data.detail === 'string'
            ? data.detail
            : data.detail.error
          : typeof data.error === 'string'
            ? data.error
            : (data.error.detail ?? data.error.message ?? data.error.code);
      const code = 'error' in data && typeof data.error === 'object' ? data.error.code : undefined;
      const outOfSearches = /run out of searches|usage limit|exceeds your plan/i.test(message ?? '');
      return {
        message,
        vendorCode: code,
        // Brave's and Tavily's per-second limits clear within a second; a used-up plan does not clear by waiting.
        ...(status === 429 && !outOfSearches ? { retryAfterMs: 1000 } : {}),
        ...(outOfSearches
          ? {
              retryable: false,
              hint: `The ${provider} plan's searches are used up: upgrade it or wait for the next billing period.`,
            }
          : {}),
      };
    },
    hints: {
      401: `The ${provider} API key was refused (revoked or mistyped): ${STORE_HINT}.`,
      403: `The ${provider} API key may not use this endpoint (its plan or subscription): check it in the provider's dashboard, or ${STORE_HINT}.`,
      422: 'The provider refused a parameter (query too long, count out of range): change it.',
    },
  };
}

/** The search provider's client with the key on the provider's way (header, bearer or query). */
export type WebsearchClient = { provider: SearchProvider | undefined; rest: RestClient };

export function createWebsearchClient(options: {
  credential: WebsearchCredential | undefined;
  env: ConnectorEnvironment;
}): WebsearchClient {
  const provider = options.credential?.provider;
  return { provider, rest: createRestClient(apiOf(provider ?? 'brave'), options) };
}
