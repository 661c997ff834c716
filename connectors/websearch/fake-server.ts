import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type WebsearchFake = {
  /** Give as env.baseUrls.websearch: one server answers all three providers' paths. */
  url: string;
  keys: { brave: string; tavily: string; serpapi: string };
  requests: RecordedRequest[];
  /** Serves a page at `path` (for fetchPage). */
  page(
    path: string,
    page: { body: string | Buffer; contentType?: string; status?: number; location?: string },
  ): void;
  /** Every key stops working. */
  revoke(): void;
  /** Route keys: `GET /res/v1/web/search`, `POST /search`, `GET /search.json`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** Brave Search API's error body. */
export function braveError(status: number, code: string, detail: string) {
  return {
    type: 'ErrorResponse',
    error: { id: randomBytes(8).toString('hex'), status, code, detail, meta: {} },
    time: Date.now(),
  };
}

const RESULTS = [
  {
    title: 'VelocityMesh — workflow automation',
    url: 'https://velocitymesh.example/',
    text: 'Automate workflows with connectors and an agent.',
  },
  { title: 'Pricing', url: 'https://velocitymesh.example/pricing', text: 'Plans for teams of every size.' },
  { title: 'Sneaky', url: 'javascript:alert(1)', text: 'Not a web link.' },
  { title: 'Docs', url: 'https://docs.velocitymesh.example/start', text: 'Getting started in five minutes.' },
];

/**
 * A local stand-in for three search APIs, each in its documented wire format: Brave Search (`GET
 * /res/v1/web/search`, `X-Subscription-Token`, `{ web: { results } }`, `ErrorResponse` bodies, X-RateLimit-*
 * headers), Tavily (`POST /search` with a bearer key, `{ results: [{ title, url, content, score }] }`,
 * `{ detail: { error } }`) and SerpApi (`GET /search.json?engine=google&api_key=…`, `organic_results`,
 * `{ error }`); plus pages to fetch.
 */
export async function startWebsearchFake(): Promise<WebsearchFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const pages = new Map<
    string,
    { body: string | Buffer; contentType?: string; status?: number; location?: string }
  >();
  const newKeys = () => ({
    brave: `BSA${randomBytes(14).toString('hex')}`,
    tavily: `tvly-dev-${randomBytes(14).toString('hex')}`,
    serpapi: randomBytes(32).toString('hex'),
  });
  let keys = newKeys();

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const failure = failures.take(`${request.method} ${request.url.split('?')[0]}`);
    if (failure) return sendFailure(reply, failure);
  });

  const matching = (query: string, count: number) =>
    RESULTS.filter((_, index) => index < count && query.length > 0);

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/res/v1/web/search',
    async (request, reply) => {
      if (request.headers['x-subscription-token'] !== keys.brave) {
        return reply
          .code(401)
          .send(braveError(401, 'SUBSCRIPTION_TOKEN_INVALID', 'The provided subscription token is invalid.'));
      }
      const count = Number(request.query.count ?? 20);
      if (!request.query.q || !Number.isInteger(count) || count < 1 || count > 20) {
        return reply.code(422).send(braveError(422, 'VALIDATION', 'Unable to validate request parameter(s)'));
      }
      reply
        .header('x-ratelimit-limit', '1, 2000')
        .header('x-ratelimit-remaining', '0, 1999')
        .header('x-ratelimit-reset', '1, 2419200');
      return {
        type: 'search',
        query: { original: request.query.q },
        web: {
          type: 'search',
          results: matching(request.query.q, count).map((result) => ({
            title: result.title.replace('VelocityMesh', '<strong>VelocityMesh</strong>'),
            url: result.url,
            description: result.text,
            is_source_local: false,
            language: 'en',
          })),
        },
      };
    },
  );

  app.post<{ Body: { query?: unknown; max_results?: unknown } }>('/search', async (request, reply) => {
    if (request.headers.authorization !== `Bearer ${keys.tavily}`) {
      return reply.code(401).send({ detail: { error: 'Unauthorized: missing or invalid API key.' } });
    }
    const { query, max_results: max = 5 } = request.body ?? {};
    if (typeof query !== 'string' || query.length === 0) {
      return reply.code(400).send({ detail: { error: 'Query is missing.' } });
    }
    return {
      query,
      answer: null,
      images: [],
      results: matching(query, Number(max)).map((result, index) => ({
        title: result.title,
        url: result.url,
        content: result.text,
        score: 0.9 - index / 10,
        raw_content: null,
      })),
      response_time: 0.42,
    };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/search.json', async (request, reply) => {
    if (request.query.api_key !== keys.serpapi) {
      return reply
        .code(401)
        .send({ error: 'Invalid API key. Your API key should be here: https://serpapi.com/manage-api-key' });
    }
    if (request.query.engine !== 'google')
      return reply.code(400).send({ error: 'Unsupported `engine` parameter.' });
    const q = request.query.q ?? '';
    if (q === 'no results at all')
      return {
        search_metadata: { status: 'Success' },
        error: "Google hasn't returned any results for this query.",
      };
    return {
      search_metadata: { id: randomBytes(12).toString('hex'), status: 'Success' },
      search_parameters: { engine: 'google', q },
      organic_results: matching(q, Number(request.query.num ?? 10)).map((result, index) => ({
        position: index + 1,
        title: result.title,
        link: result.url,
        snippet: result.text,
      })),
    };
  });

  app.get('/pages/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const page = pages.get(request.url.split('?')[0] ?? '');
    if (!page) return reply.code(404).type('text/html').send('<html><body>Not found</body></html>');
    if (page.location)
      return reply
        .code(page.status ?? 302)
        .header('location', page.location)
        .send();
    return reply
      .code(page.status ?? 200)
      .type(page.contentType ?? 'text/html; charset=utf-8')
      .send(page.body);
  });

  const url = await listenLocal(app);
  return {
    url,
    get keys() {
      return keys;
    },
    requests,
    page: (path, page) => pages.set(path, page),
    revoke() {
      keys = newKeys();
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
