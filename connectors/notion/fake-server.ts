import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

type PropertySchema = Record<string, { type: string }>;
export type FakeNotionPage = {
  object: 'page';
  id: string;
  created_time: string;
  last_edited_time: string;
  archived: boolean;
  in_trash: boolean;
  parent: { type: 'database_id'; database_id: string } | { type: 'page_id'; page_id: string };
  properties: Record<string, { id: string; type: string; [value: string]: unknown }>;
  url: string;
  children: { object: 'block'; id: string; type: string; [content: string]: unknown }[];
};

export type NotionFake = {
  /** Give as env.baseUrls.notion (the /v1 root). */
  url: string;
  token: string;
  databaseId: string;
  /** A page shared with the integration (a parent for sub-pages). */
  pageId: string;
  requests: RecordedRequest[];
  pages(): FakeNotionPage[];
  /** Adds database items directly, created at `createdTime` (default now, rounded to the minute as Notion does). */
  seed(titles: string[], createdTime?: string): FakeNotionPage[];
  /** Accepts this bearer token too (an oauth2 access token). */
  allowToken(token: string): void;
  revoke(): void;
  /** Route keys: `POST /pages`, `PATCH /pages/:id`, `POST /databases/:id/query`, `PATCH /blocks/:id/children`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export const notionError = (status: number, code: string, message: string) => ({
  object: 'error',
  status,
  code,
  message,
  request_id: randomUUID(),
});

const SCHEMA: PropertySchema = {
  Name: { type: 'title' },
  Status: { type: 'select' },
  Email: { type: 'email' },
  Amount: { type: 'number' },
};

const minute = (iso: string) => new Date(Math.floor(Date.parse(iso) / 60_000) * 60_000).toISOString();
const text = (value: unknown) =>
  z
    .array(z.object({ text: z.object({ content: z.string() }) }))
    .parse(value)
    .map((part) => ({
      type: 'text',
      text: { content: part.text.content, link: null },
      plain_text: part.text.content,
    }));

const CreateBody = z.object({
  parent: z.union([z.object({ database_id: z.string() }), z.object({ page_id: z.string() })]),
  properties: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  children: z.array(z.looseObject({ type: z.string() })).optional(),
});
const UpdateBody = z.object({
  properties: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  archived: z.boolean().optional(),
});
const QueryBody = z.object({
  filter: z.looseObject({}).optional(),
  sorts: z.array(z.looseObject({})).optional(),
  start_cursor: z.string().optional(),
  page_size: z.number().int().optional(),
});
const AppendBody = z.object({
  children: z.array(z.looseObject({ type: z.string() })),
  after: z.string().optional(),
});

const bare = (id: string) => id.replaceAll('-', '').toLowerCase();

/**
 * A local Notion API (https://developers.notion.com/reference), Notion-Version 2022-06-28: bearer tokens and the
 * version header required, one shared database (Name title, Status select, Email, Amount number) and one shared
 * page; POST /pages, PATCH /pages/{id}, POST /databases/{id}/query (the created_time timestamp filter, a
 * select/email equals or title contains property filter, created_time sorts, start_cursor/has_more/next_cursor
 * paging, page_size ≤ 100), PATCH /blocks/{id}/children (≤ 100 children), GET /users/me, and Notion's error body.
 */
export async function startNotionFake(): Promise<NotionFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const pages: FakeNotionPage[] = [];
  const databaseId = '2f6c1d0e-8a5b-4c3d-9e7f-0a1b2c3d4e5f';
  const pageId = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  const tokens = new Set(['ntn_fake0123456789abcdefghijklmnopqrstuvwxyzABCD']);
  let token = [...tokens][0] ?? '';

  const notFound = (reply: FastifyReply, id: string) =>
    reply
      .code(404)
      .send(
        notionError(
          404,
          'object_not_found',
          `Could not find page with ID: ${id}. Make sure the relevant pages and databases are shared with your integration.`,
        ),
      );
  const validation = (reply: FastifyReply, message: string) =>
    reply.code(400).send(notionError(400, 'validation_error', message));

  /** Request property values → stored ones with their type, or an error message. */
  const properties = (input: Record<string, Record<string, unknown>>, schema: PropertySchema) => {
    const out: FakeNotionPage['properties'] = {};
    for (const [name, value] of Object.entries(input)) {
      const type = schema[name]?.type;
      if (!type) return `${name} is not a property that exists.`;
      const given = value[type];
      if (given === undefined) return `${name} is expected to be ${type}.`;
      if (type === 'title') out[name] = { id: 'title', type, title: text(given) };
      else if (type === 'number' && typeof given !== 'number') return `${name} is expected to be number.`;
      else out[name] = { id: name.slice(0, 4).toLowerCase(), type, [type]: given };
    }
    return out;
  };

  const newPage = (
    parent: FakeNotionPage['parent'],
    props: FakeNotionPage['properties'],
    createdTime = new Date().toISOString(),
  ): FakeNotionPage => {
    const id = randomUUID();
    const page: FakeNotionPage = {
      object: 'page',
      id,
      created_time: minute(createdTime),
      last_edited_time: minute(createdTime),
      archived: false,
      in_trash: false,
      parent,
      properties: props,
      url: `https://www.notion.so/${bare(id)}`,
      children: [],
    };
    pages.push(page);
    return page;
  };
  const view = (page: FakeNotionPage) => {
    const { children: _children, ...rest } = page;
    return rest;
  };
  const block = (raw: { type: string; [key: string]: unknown }) => ({
    object: 'block' as const,
    id: randomUUID(),
    created_time: minute(new Date().toISOString()),
    has_children: false,
    ...raw,
  });

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(/^\/v1/, '')
      .replace(/^\/pages\/[^/]+$/, '/pages/:id')
      .replace(/^\/databases\/[^/]+\/query$/, '/databases/:id/query')
      .replace(/^\/blocks\/[^/]+\/children$/, '/blocks/:id/children');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
    const auth = request.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      return reply.code(401).send(notionError(401, 'unauthorized', 'API token is invalid.'));
    }
    const version = request.headers['notion-version'];
    if (typeof version !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(version)) {
      return reply
        .code(400)
        .send(
          notionError(
            400,
            'missing_version',
            `Notion-Version header failed validation: Notion-Version header should be defined, instead was \`${String(version)}\`.`,
          ),
        );
    }
  });

  app.get('/v1/users/me', async () => ({
    object: 'user',
    id: '92a680bb-6970-4726-952b-4f4c03bff617',
    name: 'VelocityMesh',
    type: 'bot',
    bot: { owner: { type: 'workspace', workspace: true }, workspace_name: 'Acme' },
  }));

  app.post('/v1/pages', async (request, reply) => {
    const body = CreateBody.safeParse(request.body);
    if (!body.success) return validation(reply, 'body failed validation: body.parent should be defined.');
    const { parent } = body.data;
    let stored: FakeNotionPage['parent'];
    let schema: PropertySchema;
    if ('database_id' in parent) {
      if (bare(parent.database_id) !== bare(databaseId)) return notFound(reply, parent.database_id);
      stored = { type: 'database_id', database_id: databaseId };
      schema = SCHEMA;
    } else {
      const known =
        bare(parent.page_id) === bare(pageId) || pages.some((page) => bare(page.id) === bare(parent.page_id));
      if (!known) return notFound(reply, parent.page_id);
      stored = { type: 'page_id', page_id: parent.page_id };
      schema = { title: { type: 'title' } };
    }
    const props = properties(body.data.properties, schema);
    if (typeof props === 'string') return validation(reply, props);
    if ((body.data.children?.length ?? 0) > 100) {
      return validation(reply, 'body failed validation: body.children.length should be ≤ `100`.');
    }
    const page = newPage(stored, props);
    page.children = (body.data.children ?? []).map(block);
    return view(page);
  });

  app.patch<{ Params: { id: string } }>('/v1/pages/:id', async (request, reply) => {
    const page = pages.find((candidate) => bare(candidate.id) === bare(request.params.id));
    if (!page) return notFound(reply, request.params.id);
    const body = UpdateBody.safeParse(request.body);
    if (!body.success) return validation(reply, 'body failed validation.');
    const props = properties(
      body.data.properties ?? {},
      page.parent.type === 'database_id' ? SCHEMA : { title: { type: 'title' } },
    );
    if (typeof props === 'string') return validation(reply, props);
    page.properties = { ...page.properties, ...props };
    if (body.data.archived !== undefined) {
      page.archived = body.data.archived;
      page.in_trash = body.data.archived;
    }
    page.last_edited_time = minute(new Date().toISOString());
    return view(page);
  });

  const matches = (page: FakeNotionPage, filter: Record<string, unknown> | undefined): boolean | string => {
    if (!filter) return true;
    if (filter.timestamp === 'created_time') {
      const condition = z
        .object({ on_or_after: z.string().optional(), after: z.string().optional() })
        .safeParse(filter.created_time);
      if (!condition.success) return 'body.filter.created_time should be an object.';
      const at = Date.parse(page.created_time);
      if (condition.data.on_or_after && at < Date.parse(condition.data.on_or_after)) return false;
      if (condition.data.after && at <= Date.parse(condition.data.after)) return false;
      return true;
    }
    const name = typeof filter.property === 'string' ? filter.property : undefined;
    const type = name ? SCHEMA[name]?.type : undefined;
    if (!name || !type) return `Could not find property with name or id: ${String(filter.property)}`;
    const condition = z
      .object({ equals: z.unknown().optional(), contains: z.string().optional() })
      .safeParse(filter[type]);
    if (!condition.success) return `body.filter.${type} should be defined.`;
    const value = page.properties[name];
    const plain =
      type === 'title'
        ? z
            .array(z.object({ plain_text: z.string() }))
            .parse(value?.title ?? [])
            .map((part) => part.plain_text)
            .join('')
        : type === 'select'
          ? z.object({ name: z.string() }).safeParse(value?.select).data?.name
          : value?.[type];
    if (condition.data.contains !== undefined)
      return String(plain ?? '')
        .toLowerCase()
        .includes(condition.data.contains.toLowerCase());
    return plain === condition.data.equals;
  };

  app.post<{ Params: { id: string } }>('/v1/databases/:id/query', async (request, reply) => {
    if (bare(request.params.id) !== bare(databaseId)) return notFound(reply, request.params.id);
    const body = QueryBody.safeParse(request.body ?? {});
    if (!body.success) return validation(reply, 'body failed validation.');
    const size = body.data.page_size ?? 100;
    if (size < 1 || size > 100)
      return validation(reply, 'body failed validation: body.page_size should be ≤ `100`.');
    const items: FakeNotionPage[] = [];
    for (const page of pages) {
      if (page.parent.type !== 'database_id' || page.archived) continue;
      const ok = matches(page, body.data.filter);
      if (typeof ok === 'string') return validation(reply, ok);
      if (ok) items.push(page);
    }
    const descending = body.data.sorts?.some(
      (sort) => sort.timestamp === 'created_time' && sort.direction === 'descending',
    );
    items.sort((a, b) => (descending ? -1 : 1) * (Date.parse(a.created_time) - Date.parse(b.created_time)));
    if (!body.data.sorts)
      items.sort((a, b) => Date.parse(b.last_edited_time) - Date.parse(a.last_edited_time));
    const start = body.data.start_cursor ? items.findIndex((page) => page.id === body.data.start_cursor) : 0;
    if (start < 0) return validation(reply, 'body.start_cursor should be a valid uuid.');
    const slice = items.slice(start, start + size);
    const next = items[start + size];
    return {
      object: 'list',
      results: slice.map(view),
      next_cursor: next ? next.id : null,
      has_more: next !== undefined,
      type: 'page_or_database',
      page_or_database: {},
    };
  });

  app.patch<{ Params: { id: string } }>('/v1/blocks/:id/children', async (request, reply) => {
    const page = pages.find((candidate) => bare(candidate.id) === bare(request.params.id));
    if (!page) return notFound(reply, request.params.id);
    const body = AppendBody.safeParse(request.body);
    if (!body.success) return validation(reply, 'body failed validation: body.children should be defined.');
    if (body.data.children.length > 100)
      return validation(reply, 'body failed validation: body.children.length should be ≤ `100`.');
    const added = body.data.children.map(block);
    const at = body.data.after
      ? page.children.findIndex((child) => child.id === body.data.after) + 1
      : page.children.length;
    page.children.splice(at > 0 ? at : page.children.length, 0, ...added);
    return { object: 'list', results: added, next_cursor: null, has_more: false, type: 'block', block: {} };
  });

  const url = `${await listenLocal(app)}/v1`;
  return {
    url,
    get token() {
      return token;
    },
    databaseId,
    pageId,
    requests,
    pages: () => pages,
    seed: (titles, createdTime) =>
      titles.map((title) =>
        newPage(
          { type: 'database_id', database_id: databaseId },
          { Name: { id: 'title', type: 'title', title: text([{ text: { content: title } }]) } },
          createdTime,
        ),
      ),
    allowToken: (extra) => tokens.add(extra),
    revoke() {
      tokens.delete(token);
      token = 'ntn_rotated0123456789abcdefghijklmnopqrstuvwxyzAB';
      tokens.add(token);
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
