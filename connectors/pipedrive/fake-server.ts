import { randomUUID } from 'node:crypto';
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

type Row = Record<string, unknown> & { id: number };
export type FakeWebhook = {
  id: number;
  subscription_url: string;
  event_action: string;
  event_object: string;
  http_auth_user: string | null;
  http_auth_password: string | null;
  version: string;
  is_active: number;
  add_time: string;
};

export type PipedriveFake = {
  /** Give as env.baseUrls.pipedrive (the /api root; paths are /v1/… and /v2/…). */
  url: string;
  apiToken: string;
  companyDomain: string;
  requests: RecordedRequest[];
  deals(): Row[];
  persons(): Row[];
  activities(): Row[];
  webhooks(): FakeWebhook[];
  /** A deal added in the Pipedrive app: stored, then delivered to every create.deal webhook as Pipedrive does. */
  addDealInApp(fields: { title: string; pipeline_id?: number; stage_id?: number; value?: number }): Promise<{
    deal: Row;
    deliveries: { url: string; status: number; body: string }[];
  }>;
  allowBearer(token: string): void;
  revoke(): void;
  /** Route keys: `POST /v2/deals`, `PATCH /v2/deals/:id`, `POST /v1/webhooks`, `DELETE /v1/webhooks/:id`, … */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export const pipedriveError = (error: string, extra: Record<string, unknown> = {}) => ({
  success: false,
  error,
  error_info: 'Please check developers.pipedrive.com for more information about Pipedrive API.',
  data: null,
  additional_data: null,
  ...extra,
});

/** A 429 as Pipedrive answers it: x-ratelimit-* headers, the reset in seconds. */
export const PIPEDRIVE_RATE_LIMITED: InjectedFailure = {
  status: 429,
  headers: { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2' },
  body: pipedriveError('Request over limit', { errorCode: 429 }),
};

const STAGES = new Map([
  [1, 1],
  [2, 1],
  [3, 1],
  [4, 2],
]);
const V2_ACTIONS = new Set(['create', 'change', 'delete', '*']);
const V1_ACTIONS = new Set(['added', 'updated', 'merged', 'deleted', '*']);
const OBJECTS = new Set([
  'activity',
  'deal',
  'lead',
  'note',
  'organization',
  'person',
  'product',
  'user',
  '*',
]);

const Body = z.record(z.string(), z.unknown());
const WebhookBody = z.object({
  subscription_url: z.url(),
  event_action: z.string(),
  event_object: z.string(),
  http_auth_user: z.string().optional(),
  http_auth_password: z.string().optional(),
  version: z.enum(['1.0', '2.0']).default('1.0'),
});

/**
 * A local Pipedrive API (https://developers.pipedrive.com/docs/api/v1): `api_token` in the query or an OAuth
 * bearer token; API v2 deals, persons and activities (POST, PATCH; an activity's person only as a primary
 * participant), GET /v1/users/me, webhooks (GET/POST/DELETE /v1/webhooks, version 1.0 or 2.0 with its event
 * actions, at most 40, Basic-auth credentials kept) and deliveries of create.deal webhooks v2 with those
 * credentials; errors as `{ success: false, error, error_info }`.
 */
export async function startPipedriveFake(): Promise<PipedriveFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const rows = { deals: [] as Row[], persons: [] as Row[], activities: [] as Row[] };
  const webhooks: FakeWebhook[] = [];
  const bearers = new Set<string>();
  let apiToken = '0123456789abcdef0123456789abcdef01234567';
  let nextId = 1;
  let nextHook = 100;
  const companyDomain = 'acme';
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const authorized = (request: FastifyRequest): boolean => {
    const query = request.query as Record<string, unknown>;
    const auth = request.headers.authorization ?? '';
    return query.api_token === apiToken || (auth.startsWith('Bearer ') && bearers.has(auth.slice(7)));
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '').replace(/^\/api/, '').replace(/\/(\d+)$/, '/:id');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
    if (!authorized(request))
      return reply.code(401).send(pipedriveError('unauthorized access', { errorCode: 401 }));
    reply.header('x-ratelimit-limit', '20');
    reply.header('x-ratelimit-remaining', '19');
    reply.header('x-ratelimit-reset', '2');
  });

  const ok = (data: unknown) => ({ success: true, data, additional_data: null });
  const bad = (reply: FastifyReply, error: string) =>
    reply.code(400).send(pipedriveError(error, { code: 'ERR_SCHEMA_VALIDATION_FAILED' }));

  const checkDeal = (body: Record<string, unknown>): string | undefined => {
    if (body.stage_id !== undefined && !STAGES.has(Number(body.stage_id))) return 'Stage not found';
    if (body.person_id !== undefined && !rows.persons.some((person) => person.id === body.person_id))
      return 'Person not found';
    if (body.status !== undefined && !['open', 'won', 'lost'].includes(String(body.status)))
      return 'Invalid status';
    return undefined;
  };
  const newDeal = (body: Record<string, unknown>): Row => {
    const stage = Number(body.stage_id ?? 1);
    const deal: Row = {
      id: nextId++,
      title: body.title,
      value: body.value ?? 0,
      currency: body.currency ?? 'EUR',
      status: 'open',
      stage_id: stage,
      pipeline_id: body.pipeline_id ?? STAGES.get(stage) ?? 1,
      person_id: body.person_id ?? null,
      org_id: body.org_id ?? null,
      owner_id: body.owner_id ?? 12345,
      expected_close_date: body.expected_close_date ?? null,
      add_time: now(),
      update_time: now(),
      custom_fields: body.custom_fields ?? {},
      is_deleted: false,
    };
    rows.deals.push(deal);
    return deal;
  };

  app.post('/api/v2/deals', async (request, reply) => {
    const body = Body.parse(request.body ?? {});
    if (typeof body.title !== 'string' || body.title === '') return bad(reply, 'Title is required');
    const problem = checkDeal(body);
    if (problem) return bad(reply, problem);
    return ok(newDeal(body));
  });

  const patch =
    (kind: keyof typeof rows, check?: (body: Record<string, unknown>) => string | undefined) =>
    async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const row = rows[kind].find((candidate) => candidate.id === Number(request.params.id));
      if (!row)
        return reply
          .code(404)
          .send(pipedriveError(`${kind.slice(0, -1)} not found`, { code: 'ERR_NOT_FOUND' }));
      const body = Body.parse(request.body ?? {});
      const problem = check?.(body);
      if (problem) return bad(reply, problem);
      Object.assign(row, body, { update_time: now() });
      return ok(row);
    };
  app.patch('/api/v2/deals/:id', patch('deals', checkDeal));

  const checkPerson = (body: Record<string, unknown>): string | undefined => {
    const list = z.array(z.object({ value: z.string(), primary: z.boolean(), label: z.string() })).optional();
    if (!list.safeParse(body.emails).success || !list.safeParse(body.phones).success)
      return 'emails and phones must be lists of { value, primary, label }';
    return undefined;
  };
  app.post('/api/v2/persons', async (request, reply) => {
    const body = Body.parse(request.body ?? {});
    if (typeof body.name !== 'string' || body.name === '') return bad(reply, 'Name is required');
    const problem = checkPerson(body);
    if (problem) return bad(reply, problem);
    const person: Row = {
      id: nextId++,
      emails: [],
      phones: [],
      org_id: null,
      owner_id: 12345,
      add_time: now(),
      update_time: now(),
      ...body,
    };
    rows.persons.push(person);
    return ok(person);
  });
  app.patch('/api/v2/persons/:id', patch('persons', checkPerson));

  const checkActivity = (body: Record<string, unknown>): string | undefined => {
    if (body.person_id !== undefined)
      return "'person_id' is a read-only field. Add a primary participant to set 'person_id' instead.";
    if (body.due_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(body.due_date)))
      return 'Invalid due_date';
    if (body.deal_id !== undefined && !rows.deals.some((deal) => deal.id === body.deal_id))
      return 'Deal not found';
    return undefined;
  };
  const withParticipant = (row: Row, body: Record<string, unknown>) => {
    const participants = z
      .array(z.object({ person_id: z.number(), primary: z.boolean() }))
      .safeParse(body.participants);
    if (participants.success)
      row.person_id = participants.data.find((entry) => entry.primary)?.person_id ?? null;
    return row;
  };
  app.post('/api/v2/activities', async (request, reply) => {
    const body = Body.parse(request.body ?? {});
    if (typeof body.subject !== 'string') return bad(reply, 'Subject is required');
    const problem = checkActivity(body);
    if (problem) return bad(reply, problem);
    const activity: Row = {
      id: nextId++,
      type: 'task',
      done: false,
      person_id: null,
      add_time: now(),
      update_time: now(),
      ...body,
    };
    rows.activities.push(withParticipant(activity, body));
    return ok(activity);
  });
  app.patch<{ Params: { id: string } }>('/api/v2/activities/:id', async (request, reply) => {
    const answer = await patch('activities', checkActivity)(request, reply);
    const row = rows.activities.find((candidate) => candidate.id === Number(request.params.id));
    if (row) withParticipant(row, Body.parse(request.body ?? {}));
    return answer;
  });

  app.get('/api/v1/users/me', async () =>
    ok({
      id: 12345,
      name: 'Ana Ops',
      email: 'ops@example.com',
      company_id: 987654,
      company_domain: companyDomain,
    }),
  );

  app.get('/api/v1/webhooks', async () => ({ status: 'ok', success: true, data: webhooks }));
  app.post('/api/v1/webhooks', async (request, reply) => {
    const body = WebhookBody.safeParse(request.body);
    if (!body.success)
      return bad(reply, 'Invalid webhook: subscription_url, event_action and event_object are required');
    const actions = body.data.version === '2.0' ? V2_ACTIONS : V1_ACTIONS;
    if (!actions.has(body.data.event_action) || !OBJECTS.has(body.data.event_object)) {
      return bad(reply, `Invalid event_action or event_object for webhooks version ${body.data.version}`);
    }
    if (webhooks.length >= 40) return bad(reply, 'Maximum number of webhooks (40) reached');
    const hook: FakeWebhook = {
      id: nextHook++,
      subscription_url: body.data.subscription_url,
      event_action: body.data.event_action,
      event_object: body.data.event_object,
      http_auth_user: body.data.http_auth_user ?? null,
      http_auth_password: body.data.http_auth_password ?? null,
      version: body.data.version,
      is_active: 1,
      add_time: now(),
    };
    webhooks.push(hook);
    return reply.code(201).send({
      status: 'ok',
      success: true,
      data: { ...hook, http_auth_password: hook.http_auth_password ? '******' : null },
    });
  });
  app.delete<{ Params: { id: string } }>('/api/v1/webhooks/:id', async (request, reply) => {
    const index = webhooks.findIndex((hook) => hook.id === Number(request.params.id));
    if (index < 0) return reply.code(404).send(pipedriveError('Webhook not found'));
    webhooks.splice(index, 1);
    return { status: 'ok', success: true };
  });

  const deliver = async (deal: Row) => {
    const targets = webhooks.filter(
      (hook) =>
        hook.version === '2.0' &&
        ['create', '*'].includes(hook.event_action) &&
        ['deal', '*'].includes(hook.event_object),
    );
    return Promise.all(
      targets.map(async (hook) => {
        const payload = {
          data: deal,
          previous: null,
          meta: {
            action: 'create',
            entity: 'deal',
            entity_id: String(deal.id),
            id: randomUUID(),
            company_id: '987654',
            user_id: '12345',
            correlation_id: randomUUID(),
            is_bulk_edit: false,
            timestamp: new Date().toISOString(),
            type: 'general',
            version: '2.0',
            webhook_id: String(hook.id),
            webhook_owner_id: '12345',
            change_source: 'app',
            host: `${companyDomain}.pipedrive.com`,
            attempt: 1,
          },
        };
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (hook.http_auth_user) {
          const pair = `${hook.http_auth_user}:${hook.http_auth_password ?? ''}`;
          headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
        }
        const response = await fetch(hook.subscription_url, {
          method: 'POST',
          headers,
          body: JSON.stringify(payload),
        });
        return { url: hook.subscription_url, status: response.status, body: await response.text() };
      }),
    );
  };

  const url = `${await listenLocal(app)}/api`;
  return {
    url,
    get apiToken() {
      return apiToken;
    },
    companyDomain,
    requests,
    deals: () => rows.deals,
    persons: () => rows.persons,
    activities: () => rows.activities,
    webhooks: () => webhooks,
    async addDealInApp(fields) {
      const deal = newDeal(fields);
      return { deal, deliveries: await deliver(deal) };
    },
    allowBearer: (token) => bearers.add(token),
    revoke() {
      apiToken = 'ffffffffffffffffffffffffffffffffffffffff';
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
