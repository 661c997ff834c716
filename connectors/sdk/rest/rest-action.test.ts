import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../../lib/logger.ts';
import { bindAuth } from '../auth/auth-style.ts';
import { bearerStyle } from '../auth/header-styles.ts';
import { ConnectorError } from '../connector-error.ts';
import type { ConnectorEnvironment } from '../define.ts';
import { NO_FILES } from '../files.ts';
import { type Pagination, type RestApi, restAction, restListAction, restPollTrigger } from './index.ts';
import { createRestClient, type RestClient } from './rest-client.ts';

// A real HTTP server plays the vendor; each test sets the routes it needs.
type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };
type Handler = (request: Seen, response: ServerResponse) => void;
let server: Server;
let base: string;
const routes = new Map<string, Handler>();
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      const path = entry.url.split('?')[0] ?? '';
      const handler = routes.get(`${entry.method} ${path}`);
      if (!handler) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no route"}');
        return;
      }
      handler(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const json = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

type Credential = { token: string };
const api: RestApi<Credential> = {
  connector: 'acme',
  baseUrl: 'https://api.acme.example/v1',
  auth: (credential) => bindAuth(bearerStyle, { token: credential.token }),
  headers: { 'acme-version': '2026-01' },
  vendorError: (body) => {
    const parsed = z.object({ error: z.string(), code: z.string().optional() }).safeParse(body);
    return parsed.success ? { message: parsed.data.error, vendorCode: parsed.data.code } : undefined;
  },
  hints: { 401: 'Store a new Acme token.' },
};

const blocked: number[] = [];
function environment(): ConnectorEnvironment {
  return {
    baseUrls: { acme: base },
    fetch: globalThis.fetch,
    logger: createLogger({ level: 'silent' }),
    reportRateLimit: async (waitMs) => {
      blocked.push(waitMs);
    },
  };
}

function context(client: RestClient) {
  return {
    credential: { token: 'tok_secret' },
    client,
    logger: createLogger({ level: 'silent' }),
    signal: new AbortController().signal,
    attempt: 1,
    idempotencyKey: 'run-1:create:0',
    node: { id: 'create', runId: 'run-1' },
    env: environment(),
    files: NO_FILES,
  };
}
const client = () => createRestClient(api, { credential: { token: 'tok_secret' }, env: environment() });

const Item = z.object({ id: z.string() });
const Page = z.object({ results: z.array(Item), next_cursor: z.string().nullable() });

const updateThing = restAction({
  key: 'updateThing',
  title: 'Update a thing',
  description: 'Updates one thing.',
  effect: 'write',
  idempotent: true,
  input: z.strictObject({ thingId: z.string(), name: z.string(), notify: z.boolean().optional() }),
  output: z.object({ id: z.string(), name: z.string() }),
  http: {
    method: 'PATCH',
    path: '/things/{thingId}',
    query: (input) => ({ notify: input.notify }),
    json: (input) => ({ name: input.name }),
    headers: (_, ctx) => ({ 'idempotency-key': ctx.idempotencyKey }),
  },
  project: (response) => z.object({ id: z.string(), name: z.string() }).parse(response.body),
});

const findThing = restAction({
  key: 'findThing',
  title: 'Find a thing',
  description: 'Looks a thing up.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ thingId: z.string() }),
  output: z.object({ found: z.boolean() }),
  http: { method: 'GET', path: '/things/{thingId}' },
  project: () => ({ found: true }),
  answers: { 404: () => ({ found: false }) },
});

function listAction(paginate: Pagination<{ limit?: number | undefined }>) {
  return restListAction({
    key: 'listThings',
    title: 'List things',
    description: 'Lists things.',
    effect: 'read',
    idempotent: true,
    input: z.strictObject({ limit: z.number().int().optional() }),
    output: z.object({ ids: z.array(z.string()), truncated: z.boolean() }),
    http: { method: 'GET', path: '/things', query: () => ({ sort: 'newest' }) },
    paginate,
    project: (collected) => ({
      ids: z
        .array(Item)
        .parse(collected.items)
        .map((item) => item.id),
      truncated: collected.truncated,
    }),
  });
}

const ids = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `t${from + i}` }));

describe('declarative REST actions against a real HTTP server', () => {
  it('fills the path (one encoded segment), maps query, body and headers, and applies the credential', async () => {
    routes.set('PATCH /v1/things/a%2F..%2Fadmin%3Fx%3D1', (request, response) =>
      json(response, 200, { id: 'a/../admin?x=1', name: JSON.parse(request.body).name }),
    );
    const output = await updateThing.run(
      { thingId: 'a/../admin?x=1', name: 'Bolt', notify: true },
      context(client()),
    );
    expect(output).toEqual({ id: 'a/../admin?x=1', name: 'Bolt' });
    const request = seen.at(-1);
    expect(request?.url).toBe('/v1/things/a%2F..%2Fadmin%3Fx%3D1?notify=true');
    expect(request?.headers.authorization).toBe('Bearer tok_secret');
    expect(request?.headers['acme-version']).toBe('2026-01');
    expect(request?.headers['idempotency-key']).toBe('run-1:create:0');
    expect(request?.headers['content-type']).toBe('application/json');
  });

  it('maps the vendor error body, the status hints and rate limits to ConnectorError', async () => {
    routes.set('PATCH /v1/things/x', (_, response) =>
      json(response, 422, { error: 'name is taken', code: 'NAME_TAKEN' }),
    );
    const invalid = await updateThing
      .run({ thingId: 'x', name: 'n' }, context(client()))
      .catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(ConnectorError);
    expect(invalid).toMatchObject({ code: 'E_REQUEST', retryable: false, status: 422 });
    expect((invalid as ConnectorError).message).toContain('name is taken');
    expect((invalid as ConnectorError).details).toMatchObject({ vendorCode: 'NAME_TAKEN' });

    routes.set('PATCH /v1/things/x', (_, response) => json(response, 401, { error: 'token revoked' }));
    const revoked = await updateThing
      .run({ thingId: 'x', name: 'n' }, context(client()))
      .catch((error: unknown) => error);
    expect(revoked).toMatchObject({ code: 'E_AUTH', retryable: false, hint: 'Store a new Acme token.' });

    routes.set('PATCH /v1/things/x', (_, response) =>
      json(response, 429, { error: 'slow down' }, { 'retry-after': '7' }),
    );
    const limited = await updateThing
      .run({ thingId: 'x', name: 'n' }, context(client()))
      .catch((error: unknown) => error);
    expect(limited).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 7000 });
  });

  it('tells the rate budget when a successful answer says the limit is spent', async () => {
    blocked.length = 0;
    routes.set('PATCH /v1/things/y', (_, response) =>
      json(
        response,
        200,
        { id: 'y', name: 'n' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '30' },
      ),
    );
    await updateThing.run({ thingId: 'y', name: 'n' }, context(client()));
    expect(blocked).toEqual([30_000]);
  });

  it('turns a declared status into an answer', async () => {
    routes.set('GET /v1/things/gone', (_, response) => json(response, 404, { error: 'not found' }));
    expect(await findThing.run({ thingId: 'gone' }, context(client()))).toEqual({ found: false });
  });

  it('refuses a declaration whose path names a field the input lacks', () => {
    expect(() =>
      restAction({
        ...findThing,
        key: 'broken',
        http: { method: 'GET', path: '/things/{missing}' },
        project: () => ({ found: true }),
      }),
    ).toThrow(/"\{missing\}", which is not an input field/);
  });
});

describe('pagination strategies', () => {
  it('follows a cursor in the body and stops at maxItems', async () => {
    routes.set('GET /v1/things', (request, response) => {
      const cursor = new URL(request.url, 'http://x').searchParams.get('cursor');
      const page = cursor ? Number(cursor) : 0;
      json(response, 200, { results: ids(page * 3, 3), next_cursor: page < 2 ? String(page + 1) : null });
    });
    const action = listAction({
      style: 'cursor',
      cursorParam: 'cursor',
      items: (body) => Page.parse(body).results,
      nextCursor: (body) => Page.parse(body).next_cursor,
      maxItems: (input) => input.limit,
    });
    seen.length = 0;
    expect(await action.run({}, context(client()))).toEqual({
      ids: ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'],
      truncated: false,
    });
    expect(seen.map((request) => request.url)).toEqual([
      '/v1/things?sort=newest',
      '/v1/things?sort=newest&cursor=1',
      '/v1/things?sort=newest&cursor=2',
    ]);
    expect(await action.run({ limit: 4 }, context(client()))).toEqual({
      ids: ['t0', 't1', 't2', 't3'],
      truncated: true,
    });
  });

  it('walks offsets and page numbers until a short page', async () => {
    routes.set('GET /v1/things', (request, response) => {
      const query = new URL(request.url, 'http://x').searchParams;
      const start = query.has('offset') ? Number(query.get('offset')) : (Number(query.get('page')) - 1) * 2;
      json(response, 200, { results: ids(start, start >= 4 ? 1 : 2), next_cursor: null });
    });
    const items = (body: unknown) => Page.parse(body).results;
    const byOffset = listAction({
      style: 'offset',
      offsetParam: 'offset',
      limitParam: 'limit',
      pageSize: 2,
      items,
    });
    expect(await byOffset.run({}, context(client()))).toEqual({
      ids: ['t0', 't1', 't2', 't3', 't4'],
      truncated: false,
    });
    const byPage = listAction({
      style: 'page',
      pageParam: 'page',
      sizeParam: 'per_page',
      pageSize: 2,
      items,
    });
    seen.length = 0;
    expect(await byPage.run({}, context(client()))).toEqual({
      ids: ['t0', 't1', 't2', 't3', 't4'],
      truncated: false,
    });
    expect(seen[0]?.url).toBe('/v1/things?sort=newest&page=1&per_page=2');
  });

  it('follows Link rel="next" on the same origin with the credential, and caps the pages', async () => {
    routes.set('GET /v1/things', (request, response) => {
      const page = Number(new URL(request.url, 'http://x').searchParams.get('page') ?? '1');
      response.setHeader(
        'link',
        `<${base}/things?page=${page + 1}>; rel="next", <${base}/things?page=99>; rel="last"`,
      );
      json(response, 200, { results: ids(page * 10, 1), next_cursor: null });
    });
    const action = listAction({ style: 'link', items: (body) => Page.parse(body).results, maxPages: 3 });
    seen.length = 0;
    expect(await action.run({}, context(client()))).toEqual({ ids: ['t10', 't20', 't30'], truncated: true });
    expect(seen.map((request) => request.headers.authorization)).toEqual(Array(3).fill('Bearer tok_secret'));
  });

  it('never follows a next URL to another origin', async () => {
    routes.set('GET /v1/things', (_, response) =>
      json(response, 200, { results: ids(0, 1), next: 'http://169.254.169.254/latest/meta-data' }),
    );
    const action = listAction({
      style: 'nextUrl',
      items: (body) => z.object({ results: z.array(Item) }).parse(body).results,
      nextUrl: (body) => z.object({ next: z.string().nullable() }).parse(body).next,
    });
    seen.length = 0;
    const error = await action.run({}, context(client())).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'E_UPSTREAM', retryable: false });
    expect(seen).toHaveLength(1);
  });

  it('stops when the vendor repeats a cursor', async () => {
    routes.set('GET /v1/things', (_, response) =>
      json(response, 200, { results: ids(0, 1), next_cursor: 'same' }),
    );
    const action = listAction({
      style: 'cursor',
      cursorParam: 'cursor',
      items: (body) => Page.parse(body).results,
      nextCursor: (body) => Page.parse(body).next_cursor,
      maxPages: 50,
    });
    seen.length = 0;
    await action.run({}, context(client()));
    expect(seen).toHaveLength(2);
  });
});

describe('declarative poll triggers', () => {
  it('asks for items after the watermark and maps each to id, at and data', async () => {
    routes.set('GET /v1/things', (_, response) =>
      json(response, 200, { results: [{ id: 'a' }, { id: 'b' }], next_cursor: null }),
    );
    const trigger = restPollTrigger({
      key: 'thingCreated',
      title: 'New thing',
      description: 'A thing was created.',
      with: z.strictObject({ folder: z.string() }),
      data: z.object({ id: z.string() }),
      sample: { id: 'a' },
      intervalMs: () => 60_000,
      http: { method: 'GET', path: '/things', query: (filters) => ({ folder: filters.folder }) },
      since: (after) => ({ created_after: after?.at }),
      items: (body) => Page.parse(body).results,
      item: (raw) => {
        const { id } = Item.parse(raw);
        return { id, at: id === 'a' ? 1 : 2, data: { id } };
      },
    });
    seen.length = 0;
    const result = await trigger.poll(
      {
        credential: { token: 'tok_secret' },
        client: client(),
        logger: createLogger({ level: 'silent' }),
        signal: new AbortController().signal,
        env: environment(),
      },
      { folder: 'inbox' },
      { after: { at: 5, id: 'z' }, state: undefined },
    );
    expect(result.items.map((item) => item.id)).toEqual(['a', 'b']);
    expect(seen[0]?.url).toBe('/v1/things?folder=inbox&created_after=5');
  });
});
