import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeZendeskTicket = {
  id: number;
  subject: string;
  description: string;
  status: string;
  priority: string | null;
  type: string | null;
  tags: string[];
  requester_id: number;
  assignee_id: number | null;
  group_id: number | null;
  external_id: string | null;
  created_at: string;
  updated_at: string;
  comments: { id: number; body: string; public: boolean }[];
};

export type ZendeskFake = {
  /** Give as env.baseUrls.zendesk (the API v2 root). */
  url: string;
  subdomain: string;
  email: string;
  apiToken: string;
  accessToken: string;
  requests: RecordedRequest[];
  tickets(): FakeZendeskTicket[];
  /** Adds tickets directly; `createdAt` defaults to now. */
  seed(count: number, fields?: Partial<FakeZendeskTicket>): FakeZendeskTicket[];
  /** The API token and OAuth token stop working (deleted in Admin Center). */
  revoke(): void;
  /** Route keys: `POST /tickets.json`, `PUT /tickets/:id.json`, `GET /search/export.json`, `GET /search.json`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export function zendeskError(error: string, description?: string, details?: Record<string, unknown>) {
  return { error, ...(description ? { description } : {}), ...(details ? { details } : {}) };
}

const TicketInput = z
  .object({
    subject: z.string().optional(),
    comment: z.object({ body: z.string(), public: z.boolean().optional() }).optional(),
    requester: z.object({ email: z.string(), name: z.string().optional() }).optional(),
    priority: z.string().optional(),
    type: z.string().optional(),
    status: z.string().optional(),
    tags: z.array(z.string()).optional(),
    assignee_id: z.number().optional(),
    group_id: z.number().optional(),
    external_id: z.string().optional(),
  })
  .loose();

const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];

/**
 * A local Zendesk Support API v2 (https://developer.zendesk.com/api-reference/ticketing): `email/token` basic auth
 * or OAuth bearer, tickets create (with Idempotency-Key) and update (comments through the update), the Search API
 * (`GET /search.json`, created>… and tags:), the cursor-paged search export (`page[size]`, `links.next`,
 * `meta.has_more`), `GET /users/me.json`, and Zendesk's error bodies.
 */
export async function startZendeskFake(): Promise<ZendeskFake> {
  const app = Fastify({ logger: false });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const email = 'agent@acme.example';
  let apiToken = 'zdTokenFake0123456789abcdefABCDEF';
  let accessToken = 'zdOauthFake0123456789abcdefABCDEF';
  const tickets: FakeZendeskTicket[] = [];
  const byKey = new Map<string, { body: string; ticket: FakeZendeskTicket }>();
  let nextId = 35_436;
  let nextEvent = 900_000;
  let base = '';

  const newTicket = (fields: Partial<FakeZendeskTicket>): FakeZendeskTicket => {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ticket: FakeZendeskTicket = {
      id: nextId++,
      subject: '',
      description: '',
      status: 'new',
      priority: null,
      type: null,
      tags: [],
      requester_id: 20_978_392,
      assignee_id: null,
      group_id: null,
      external_id: null,
      created_at: now,
      updated_at: now,
      comments: [],
      ...fields,
    };
    tickets.push(ticket);
    return ticket;
  };
  const view = ({ comments: _, ...ticket }: FakeZendeskTicket) => ({
    ...ticket,
    url: `${base}/tickets/${ticket.id}.json`,
  });

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const basic = `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString('base64')}`;
    const header = request.headers.authorization;
    if (header === basic || header === `Bearer ${accessToken}`) return true;
    void reply.code(401).send(zendeskError("Couldn't authenticate you"));
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '')
      .replace(/^\/api\/v2/, '')
      .replace(/^\/tickets\/\d+\.json$/, '/tickets/:id.json');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
    if (!authorized(request, reply)) return reply;
  });

  const invalid = (reply: FastifyReply, details: Record<string, string>) =>
    reply
      .code(422)
      .send(
        zendeskError(
          'RecordInvalid',
          'Record validation errors',
          Object.fromEntries(
            Object.entries(details).map(([field, description]) => [
              field,
              [{ description, error: 'InvalidValue' }],
            ]),
          ),
        ),
      );
  const checkValues = (input: z.infer<typeof TicketInput>): Record<string, string> => {
    const problems: Record<string, string> = {};
    if (input.status && !STATUSES.includes(input.status)) problems.status = `Status: is not valid`;
    if (input.requester && !/^[^@\s]+@[^@\s]+$/.test(input.requester.email))
      problems.requester = 'Requester: Email is invalid';
    if (input.assignee_id !== undefined && input.assignee_id !== 368_920)
      problems.assignee = 'Assignee: is not an agent in this account';
    return problems;
  };

  app.post('/api/v2/tickets.json', async (request, reply) => {
    const body = z.object({ ticket: TicketInput }).safeParse(request.body);
    if (!body.success) return reply.code(400).send(zendeskError('InvalidEndpoint', 'The ticket is missing.'));
    const input = body.data.ticket;
    const problems = checkValues(input);
    if (!input.comment?.body) problems.base = 'Description: cannot be blank';
    if (Object.keys(problems).length > 0) return invalid(reply, problems);
    const key = request.headers['idempotency-key'];
    const raw = JSON.stringify(request.body);
    if (typeof key === 'string') {
      const earlier = byKey.get(key);
      if (earlier && earlier.body !== raw)
        return reply
          .code(400)
          .send(
            zendeskError(
              'IdempotentRequestError',
              'Request parameters do not match the ones of the first request.',
            ),
          );
      if (earlier)
        return reply
          .code(201)
          .header('x-idempotency-lookup', 'hit')
          .send({ ticket: view(earlier.ticket) });
    }
    const ticket = newTicket({
      subject: input.subject ?? input.comment?.body.slice(0, 60) ?? '',
      description: input.comment?.body ?? '',
      status: input.status ?? (input.assignee_id ? 'open' : 'new'),
      priority: input.priority ?? null,
      type: input.type ?? null,
      tags: input.tags ?? [],
      assignee_id: input.assignee_id ?? null,
      group_id: input.group_id ?? null,
      external_id: input.external_id ?? null,
      comments: input.comment
        ? [{ id: nextEvent++, body: input.comment.body, public: input.comment.public ?? true }]
        : [],
    });
    if (typeof key === 'string') byKey.set(key, { body: raw, ticket });
    return reply
      .code(201)
      .header('x-idempotency-lookup', 'miss')
      .send({ ticket: view(ticket) });
  });

  app.put<{ Params: { id: string } }>('/api/v2/tickets/:id.json', async (request, reply) => {
    const ticket = tickets.find((candidate) => String(candidate.id) === request.params.id);
    if (!ticket) return reply.code(404).send(zendeskError('RecordNotFound', 'Not found'));
    const body = z.object({ ticket: TicketInput }).safeParse(request.body);
    if (!body.success) return reply.code(400).send(zendeskError('InvalidEndpoint', 'The ticket is missing.'));
    const input = body.data.ticket;
    if (ticket.status === 'closed')
      return invalid(reply, { status: 'Status: closed prevents ticket update' });
    const problems = checkValues(input);
    if (Object.keys(problems).length > 0) return invalid(reply, problems);
    const events: {
      id: number;
      type: string;
      field_name?: string;
      value?: unknown;
      public?: boolean;
      body?: string;
    }[] = [];
    if (input.comment) {
      const comment = { id: nextEvent++, body: input.comment.body, public: input.comment.public ?? true };
      ticket.comments.push(comment);
      events.push({ id: comment.id, type: 'Comment', public: comment.public, body: comment.body });
      if (ticket.status === 'new' && !input.status) ticket.status = 'open';
    }
    for (const [field, value] of Object.entries({
      status: input.status,
      priority: input.priority,
      type: input.type,
      subject: input.subject,
      tags: input.tags,
      assignee_id: input.assignee_id,
      group_id: input.group_id,
    })) {
      if (value === undefined) continue;
      Object.assign(ticket, { [field]: value });
      events.push({ id: nextEvent++, type: 'Change', field_name: field, value });
    }
    ticket.updated_at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ticket: view(ticket), audit: { id: nextEvent++, ticket_id: ticket.id, events } };
  });

  /** The part of Zendesk's search syntax the fake understands: type:ticket, tags:x, status:x, status<x, created>T. */
  const matches = (query: string) => {
    const terms = query.split(/\s+/).filter(Boolean);
    return (ticket: FakeZendeskTicket) =>
      terms.every((term) => {
        const created = /^created>(.+)$/.exec(term)?.[1];
        if (created) return Date.parse(ticket.created_at) > Date.parse(created);
        const [name, value] = term.split(':');
        if (term === 'type:ticket') return true;
        if (name === 'tags') return ticket.tags.includes(value ?? '');
        if (name === 'status') return ticket.status === value;
        const below = /^status<(\w+)$/.exec(term)?.[1];
        if (below) return STATUSES.indexOf(ticket.status) < STATUSES.indexOf(below);
        return ticket.subject.toLowerCase().includes(term.toLowerCase());
      });
  };

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/v2/search.json',
    async (request, reply) => {
      const query = request.query.query;
      if (!query) return reply.code(400).send(zendeskError('unavailable', 'The query parameter is missing.'));
      const perPage = Math.min(100, Number(request.query.per_page ?? 100));
      const found = tickets.filter(matches(query));
      if (request.query.sort_by === 'created_at')
        found.sort(
          (a, b) =>
            (request.query.sort_order === 'asc' ? 1 : -1) *
            (Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id),
        );
      return {
        results: found.slice(0, perPage).map((ticket) => ({ ...view(ticket), result_type: 'ticket' })),
        count: found.length,
        next_page: found.length > perPage ? `${base}/search.json?page=2` : null,
        previous_page: null,
      };
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/api/v2/search/export.json',
    async (request, reply) => {
      const query = request.query.query;
      if (!query || request.query['filter[type]'] !== 'ticket')
        return reply.code(400).send(zendeskError('InvalidParameter', 'query and filter[type] are required.'));
      const size = Number(request.query['page[size]'] ?? 100);
      if (!Number.isInteger(size) || size < 1 || size > 1000)
        return reply
          .code(400)
          .send(zendeskError('InvalidPageSize', 'page[size] must be between 1 and 1000.'));
      const after = request.query['page[after]'];
      const start = after ? Number(Buffer.from(after, 'base64url').toString()) : 0;
      const found = tickets.filter(matches(query));
      const page = found.slice(start, start + size);
      const more = start + size < found.length;
      const cursor = Buffer.from(String(start + size)).toString('base64url');
      const next = new URL(`${base}/search/export.json`);
      next.search = new URLSearchParams({
        query,
        'filter[type]': 'ticket',
        'page[size]': String(size),
        'page[after]': cursor,
      }).toString();
      return {
        results: page.map((ticket) => ({ ...view(ticket), result_type: 'ticket' })),
        meta: { has_more: more, after_cursor: more ? cursor : null, before_cursor: null },
        links: { next: more ? next.href : null, prev: null },
      };
    },
  );

  app.get('/api/v2/users/me.json', async () => ({
    user: { id: 368_920, name: 'Ana Agent', email, role: 'agent' },
  }));

  base = `${await listenLocal(app)}/api/v2`;
  return {
    url: base,
    subdomain: 'acme',
    email,
    get apiToken() {
      return apiToken;
    },
    get accessToken() {
      return accessToken;
    },
    requests,
    tickets: () => tickets,
    seed(count, fields = {}) {
      return Array.from({ length: count }, (_, index) =>
        newTicket({ subject: `Seeded ticket ${index + 1}`, ...fields }),
      );
    },
    revoke() {
      apiToken = 'zdTokenRevoked0000000000000000000';
      accessToken = 'zdOauthRevoked0000000000000000000';
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
