import { createHmac, randomBytes } from 'node:crypto';
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

const API = 'https://api.calendly.com';

export type FakeCalendlyEvent = {
  uri: string;
  name: string;
  status: 'active' | 'canceled';
  start_time: string;
  end_time: string;
  event_type: string;
  location: { type: string; join_url: string };
  invitees_counter: { total: number; active: number; limit: number };
  event_memberships: { user: string; user_email: string; user_name: string }[];
  created_at: string;
  updated_at: string;
  owner: string;
};

export type FakeCalendlySubscription = {
  uri: string;
  callback_url: string;
  events: string[];
  scope: 'user' | 'organization';
  organization: string;
  user: string | null;
  signing_key: string | undefined;
  state: 'active';
  created_at: string;
};

export type CalendlyFake = {
  /** Give as env.baseUrls.calendly. */
  url: string;
  token: string;
  userUri: string;
  organizationUri: string;
  eventTypeUri: string;
  requests: RecordedRequest[];
  /** Adds `count` active meetings of the token's user, an hour apart from tomorrow on. */
  seed(count: number): FakeCalendlyEvent[];
  subscriptions(): FakeCalendlySubscription[];
  /** What Calendly does when someone books: POSTs invitee.created to each matching subscription, signed with its key. */
  book(invitee: { name: string; email: string }, options?: { signedAt?: number }): Promise<Response[]>;
  revoke(): void;
  /** Route keys: `GET /scheduled_events`, `POST /webhook_subscriptions`, `DELETE /webhook_subscriptions`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** Calendly's error body. */
export function calendlyError(
  title: string,
  message: string,
  details?: { parameter?: string; message: string }[],
) {
  return { title, message, ...(details ? { details } : {}) };
}

const id = () => randomBytes(8).toString('hex').toUpperCase();

const EventsQuery = z.object({
  user: z.string().optional(),
  organization: z.string().optional(),
  status: z.enum(['active', 'canceled']).optional(),
  min_start_time: z.string().optional(),
  max_start_time: z.string().optional(),
  invitee_email: z.string().optional(),
  count: z.coerce.number().int().min(1).max(100).default(20),
  page_token: z.string().optional(),
  sort: z.string().optional(),
});

const SubscriptionBody = z.object({
  url: z.url(),
  events: z.array(z.enum(['invitee.created', 'invitee.canceled', 'routing_form_submission.created'])).min(1),
  organization: z.string(),
  user: z.string().optional(),
  scope: z.enum(['user', 'organization']),
  signing_key: z.string().optional(),
});

export async function startCalendlyFake(): Promise<CalendlyFake> {
  let token = `eyJraWQiOi${randomBytes(40).toString('base64url')}`;
  const userUri = `${API}/users/${id()}`;
  const organizationUri = `${API}/organizations/${id()}`;
  const eventTypeUri = `${API}/event_types/${id()}`;
  const requests: RecordedRequest[] = [];
  const events: FakeCalendlyEvent[] = [];
  const subscriptions: FakeCalendlySubscription[] = [];
  const pageTokens = new Map<string, number>();
  const failures = new FailureQueue();
  const app = Fastify({ logger: false });

  const admit = (request: FastifyRequest, reply: FastifyReply, route: string): boolean => {
    requests.push(recordRequest(request));
    if (request.headers.authorization !== `Bearer ${token}`) {
      reply.code(401).send(calendlyError('Unauthenticated', 'The access token is invalid'));
      return false;
    }
    const failure = failures.take(route);
    if (failure) {
      sendFailure(reply, failure);
      return false;
    }
    return true;
  };

  app.get('/users/me', async (request, reply) => {
    if (!admit(request, reply, 'GET /users/me')) return reply;
    return {
      resource: {
        uri: userUri,
        name: 'Ana Lima',
        email: 'ana@example.com',
        current_organization: organizationUri,
      },
    };
  });

  app.get('/scheduled_events', async (request, reply) => {
    if (!admit(request, reply, 'GET /scheduled_events')) return reply;
    const query = EventsQuery.safeParse(request.query);
    if (!query.success)
      return reply
        .code(400)
        .send(
          calendlyError('Invalid Argument', 'The supplied parameters are invalid.', [
            { parameter: 'count', message: 'must be between 1 and 100' },
          ]),
        );
    const q = query.data;
    if (!q.user && !q.organization)
      return reply
        .code(400)
        .send(
          calendlyError('Invalid Argument', 'The supplied parameters are invalid.', [
            { message: 'One of organization or user is required' },
          ]),
        );
    if (q.organization && q.organization !== organizationUri)
      return reply
        .code(403)
        .send(calendlyError('Permission Denied', 'You do not have permission to access this resource.'));
    let list = events.filter((event) => (q.user ? event.owner === q.user : true));
    if (q.status) list = list.filter((event) => event.status === q.status);
    if (q.min_start_time)
      list = list.filter((event) => event.start_time >= new Date(q.min_start_time ?? '').toISOString());
    if (q.max_start_time)
      list = list.filter((event) => event.start_time < new Date(q.max_start_time ?? '').toISOString());
    list.sort((a, b) => a.start_time.localeCompare(b.start_time));
    const offset = q.page_token ? pageTokens.get(q.page_token) : 0;
    if (offset === undefined)
      return reply
        .code(400)
        .send(
          calendlyError('Invalid Argument', 'The supplied parameters are invalid.', [
            { parameter: 'page_token', message: 'is invalid' },
          ]),
        );
    const page = list.slice(offset, offset + q.count);
    let next: string | null = null;
    if (offset + q.count < list.length) {
      next = randomBytes(12).toString('base64url');
      pageTokens.set(next, offset + q.count);
    }
    return {
      collection: page.map(({ owner: _owner, ...event }) => event),
      pagination: {
        count: page.length,
        next_page: next ? `${API}/scheduled_events?page_token=${next}` : null,
        previous_page: null,
        next_page_token: next,
        previous_page_token: null,
      },
    };
  });

  const view = ({ signing_key: _key, ...subscription }: FakeCalendlySubscription) => ({
    ...subscription,
    updated_at: subscription.created_at,
    retry_started_at: null,
    creator: userUri,
  });

  app.get('/webhook_subscriptions', async (request, reply) => {
    if (!admit(request, reply, 'GET /webhook_subscriptions')) return reply;
    const query = request.query as { organization?: string; scope?: string; user?: string };
    if (!query.organization || !query.scope)
      return reply
        .code(400)
        .send(
          calendlyError('Invalid Argument', 'The supplied parameters are invalid.', [
            { parameter: 'organization', message: 'is required' },
          ]),
        );
    const list = subscriptions.filter(
      (item) =>
        item.organization === query.organization &&
        item.scope === query.scope &&
        (query.user === undefined || item.user === query.user),
    );
    return {
      collection: list.map(view),
      pagination: { count: list.length, next_page: null, next_page_token: null },
    };
  });

  app.post('/webhook_subscriptions', async (request, reply) => {
    if (!admit(request, reply, 'POST /webhook_subscriptions')) return reply;
    const body = SubscriptionBody.safeParse(request.body);
    if (!body.success)
      return reply
        .code(400)
        .send(
          calendlyError('Invalid Argument', 'The supplied parameters are invalid.', [
            { parameter: String(body.error.issues[0]?.path[0] ?? ''), message: 'is invalid' },
          ]),
        );
    if (
      body.data.organization !== organizationUri ||
      (body.data.scope === 'user' && body.data.user !== userUri)
    )
      return reply
        .code(403)
        .send(calendlyError('Permission Denied', 'You do not have permission to access this resource.'));
    if (
      subscriptions.some(
        (item) => item.callback_url === body.data.url && item.user === (body.data.user ?? null),
      )
    )
      return reply.code(409).send(calendlyError('Already Exists', 'Hook with this url already exists'));
    const subscription: FakeCalendlySubscription = {
      uri: `${API}/webhook_subscriptions/${id()}`,
      callback_url: body.data.url,
      events: body.data.events,
      scope: body.data.scope,
      organization: body.data.organization,
      user: body.data.user ?? null,
      signing_key: body.data.signing_key,
      state: 'active',
      created_at: new Date().toISOString(),
    };
    subscriptions.push(subscription);
    return reply.code(201).send({ resource: view(subscription) });
  });

  app.delete('/webhook_subscriptions/:uuid', async (request, reply) => {
    if (!admit(request, reply, 'DELETE /webhook_subscriptions')) return reply;
    const uuid = (request.params as { uuid: string }).uuid;
    const index = subscriptions.findIndex((item) => item.uri.endsWith(`/${uuid}`));
    if (index < 0)
      return reply
        .code(404)
        .send(calendlyError('Resource Not Found', 'The server could not find the requested resource.'));
    subscriptions.splice(index, 1);
    return reply.code(204).send();
  });

  const url = await listenLocal(app);
  return {
    url,
    get token() {
      return token;
    },
    userUri,
    organizationUri,
    eventTypeUri,
    requests,
    seed(count) {
      const start = Date.now() + 24 * 3600_000;
      const added = Array.from({ length: count }, (_, index): FakeCalendlyEvent => {
        const at = new Date(start + (events.length + index) * 3600_000);
        return {
          uri: `${API}/scheduled_events/${id()}`,
          name: 'Intro call',
          status: 'active',
          start_time: at.toISOString(),
          end_time: new Date(at.getTime() + 30 * 60_000).toISOString(),
          event_type: eventTypeUri,
          location: { type: 'google_conference', join_url: `https://meet.example.com/${index}` },
          invitees_counter: { total: 1, active: 1, limit: 1 },
          event_memberships: [{ user: userUri, user_email: 'ana@example.com', user_name: 'Ana Lima' }],
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
          owner: userUri,
        };
      });
      events.push(...added);
      return added;
    },
    subscriptions: () => [...subscriptions],
    async book(invitee, options = {}) {
      const meeting = `${API}/scheduled_events/${id()}`;
      const now = new Date().toISOString();
      const payload = {
        created_at: now,
        created_by: userUri,
        event: 'invitee.created',
        payload: {
          uri: `${meeting}/invitees/${id()}`,
          email: invitee.email,
          name: invitee.name,
          status: 'active',
          timezone: 'Europe/Berlin',
          event: meeting,
          created_at: now,
          updated_at: now,
          rescheduled: false,
          cancel_url: `https://calendly.com/cancellations/${id()}`,
          reschedule_url: `https://calendly.com/reschedulings/${id()}`,
          questions_and_answers: [
            { question: 'What would you like to discuss?', answer: 'Pricing', position: 0 },
          ],
          scheduled_event: {
            uri: meeting,
            name: 'Intro call',
            status: 'active',
            start_time: '2026-12-09T14:00:00.000000Z',
            end_time: '2026-12-09T14:30:00.000000Z',
            event_type: eventTypeUri,
            location: { type: 'google_conference', join_url: 'https://meet.example.com/abc' },
          },
        },
      };
      const raw = JSON.stringify(payload);
      const t = Math.floor((options.signedAt ?? Date.now()) / 1000);
      return Promise.all(
        subscriptions
          .filter((item) => item.events.includes('invitee.created'))
          .map((item) => {
            const v1 = createHmac('sha256', item.signing_key ?? '')
              .update(`${t}.${raw}`)
              .digest('hex');
            return fetch(item.callback_url, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'calendly-webhook-signature': `t=${t},v1=${v1}`,
              },
              body: raw,
            });
          }),
      );
    },
    revoke() {
      token = `eyJraWQiOi${randomBytes(40).toString('base64url')}`;
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
