import Fastify from 'fastify';
import { z } from 'zod';
import { ConnectorError, defineConnector, definePollTrigger } from '../../../connectors/index.ts';

// A poll-triggered test connector and the feed it polls (a local Fastify fake, the only fake: at the network
// edge). The connector lists the whole feed every time and ignores `after`, so the runtime alone decides what is
// new. Its base URL is `env.baseUrls.feed` (tests set it; chaos workers read CHAOS_FEED_URL).

export const FeedItem = z.object({ id: z.string(), at: z.number(), title: z.string(), tag: z.string() });
export type FeedItem = z.infer<typeof FeedItem>;

const FeedWith = z.strictObject({
  feed: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .optional()
    .describe('Which feed of the fake (default "main").'),
  tag: z.string().optional().describe('Only items with this tag.'),
  intervalMs: z.number().int().min(10).optional().describe('Time between polls (default 200 ms).'),
});

export const itemAdded = definePollTrigger({
  key: 'itemAdded',
  title: 'Feed item added',
  description: 'Starts the workflow for each new item of the test feed.',
  kind: 'poll',
  intervalMs: (filters) => filters.intervalMs ?? 200,
  state: z.object({ polls: z.number().int() }),
  with: FeedWith,
  data: FeedItem,
  sample: { id: '1', at: 1, title: 'x', tag: 'bug' },
  matches: (filters, data) => !filters.tag || FeedItem.parse(data).tag === filters.tag,
  async poll(ctx: { client: { list(feed: string): Promise<FeedItem[]> } }, filters, request) {
    const found = await ctx.client.list(filters.feed ?? 'main');
    return {
      items: found.map((item) => ({ id: item.id, at: item.at, data: item })),
      state: { polls: (request.state?.polls ?? 0) + 1 },
    };
  },
});

export const feedConnector = defineConnector({
  id: 'feed',
  version: '1.0.0',
  title: 'Feed',
  description: 'A test feed.',
  credential: {
    type: 'feed',
    schema: z.object({ token: z.string() }),
    howToGet: 'Any token (the fake only echoes it).',
    optional: true,
  },
  createClient: ({ credential, env, signal }) => ({
    async list(feed: string): Promise<FeedItem[]> {
      const url = `${env.baseUrls.feed ?? ''}/feeds/${feed}/items`;
      const token = (credential as { token?: string } | undefined)?.token;
      const response = await env.fetch(url, {
        ...(signal ? { signal } : {}),
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
      const text = await response.text();
      if (!response.ok) {
        // Careless on purpose: the vendor's answer (which may echo the credential) goes into the message.
        throw new ConnectorError({
          code: 'E_FEED_HTTP',
          message: `The feed answered ${response.status}${response.status === 401 ? `: ${text}` : '.'}`,
          retryable: response.status >= 500,
          status: response.status,
        });
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (cause) {
        throw new ConnectorError({
          code: 'E_FEED_INVALID',
          message: `The feed at ${url} is not JSON (it starts with "${text.slice(0, 20)}").`,
          hint: 'Check the feed address.',
          retryable: false,
          cause,
        });
      }
      return z.array(FeedItem).parse(body);
    },
  }),
  actions: [],
  triggers: [itemAdded],
  docPath: '/dev/null',
});

export type FakeFeed = {
  items: FeedItem[];
  /** `ok` lists the items; `html` answers a page that is not JSON; `down` answers 503; `deny` answers 401, echoing the authorization header. */
  mode: 'ok' | 'html' | 'down' | 'deny';
  /** Items listed in a random order (an API that lists out of order). */
  shuffle: boolean;
  requests: number;
};

export type FeedFake = {
  url: string;
  /** The feed of that name (made empty on first use). */
  feed(name: string): FakeFeed;
  /** Called before each answer (tests hold or count requests). */
  beforeAnswer?: (name: string) => Promise<void>;
  close(): Promise<void>;
};

export async function startFeedFake(): Promise<FeedFake> {
  const app = Fastify();
  const feeds = new Map<string, FakeFeed>();
  const fake: FeedFake = {
    url: '',
    feed(name) {
      let feed = feeds.get(name);
      if (!feed) {
        feed = { items: [], mode: 'ok', shuffle: false, requests: 0 };
        feeds.set(name, feed);
      }
      return feed;
    },
    close: () => app.close(),
  };
  app.get('/feeds/:name/items', async (request, reply) => {
    const { name } = z.object({ name: z.string() }).parse(request.params);
    const feed = fake.feed(name);
    feed.requests += 1;
    await fake.beforeAnswer?.(name);
    if (feed.mode === 'down') return reply.code(503).send({ error: 'unavailable' });
    if (feed.mode === 'deny')
      return reply.code(401).send({ error: `login failed for ${request.headers.authorization ?? 'nobody'}` });
    if (feed.mode === 'html') return reply.type('text/html').send('<html><body>Moved</body></html>');
    const listed = [...feed.items];
    if (feed.shuffle) listed.sort(() => Math.random() - 0.5);
    return listed;
  });
  fake.url = await app.listen({ host: '127.0.0.1', port: 0 });
  return fake;
}
