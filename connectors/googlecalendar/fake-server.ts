import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  type GoogleFakeAuth,
  type GooglePrincipal,
  googleError,
  mountGoogleAuth,
} from '../google/fake-auth.ts';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

type Time = { date?: string; dateTime?: string; timeZone?: string };
export type FakeEvent = {
  id: string;
  calendarId: string;
  status: string;
  summary?: string;
  description?: string;
  location?: string;
  start: Time;
  end: Time;
  attendees?: { email: string; responseStatus: string }[];
  created: string;
  updated: string;
};

export type CalendarFake = {
  /** Give as env.baseUrls.googlecalendar (the v3 root). */
  url: string;
  /** Give as env.baseUrls['google-oauth']. */
  oauthUrl: string;
  auth: GoogleFakeAuth;
  requests: RecordedRequest[];
  events(): FakeEvent[];
  /** Adds an event as a person booking it would, created now. */
  add(event: Partial<FakeEvent> & { summary: string; start: Time; end: Time }): FakeEvent;
  /** Route keys: `events.insert`, `events.list`, `events.get`, `events.patch`, `events.delete`, `freebusy.query`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

const SCOPES = [
  'https://www.googleapis.com/auth/calendar',
  'https://www.googleapis.com/auth/calendar.events',
];
const FREEBUSY_SCOPES = [
  ...SCOPES,
  'https://www.googleapis.com/auth/calendar.freebusy',
  'https://www.googleapis.com/auth/calendar.readonly',
];
const BASE32HEX = /^[a-v0-9]{5,1024}$/;

const startOf = (time: Time) => Date.parse(time.dateTime ?? `${time.date}T00:00:00Z`);

/**
 * A local Google Calendar API v3 (https://developers.google.com/workspace/calendar/api/v3/reference): events.insert
 * (client ids in base32hex, 409 duplicate), events.get/patch/delete (410 once deleted), events.list with timeMin,
 * timeMax, q, updatedMin, orderBy, maxResults and pageToken, freeBusy.query; calendars of the fake person and the
 * service account; Google's error body and token endpoint.
 */
export async function startCalendarFake(): Promise<CalendarFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const events: FakeEvent[] = [];
  let base = '';
  const auth = mountGoogleAuth(app, () => base);
  const calendars = new Map<string, Set<string>>([
    [auth.personEmail, new Set([auth.personEmail, auth.robotEmail])],
    ['team@group.calendar.google.com', new Set([auth.personEmail])],
  ]);

  const routeOf = (request: FastifyRequest) => {
    const path = request.url.split('?')[0] ?? '';
    if (path.endsWith('/freeBusy')) return 'freebusy.query';
    if (path.endsWith('/events')) return request.method === 'POST' ? 'events.insert' : 'events.list';
    return (
      { GET: 'events.get', PATCH: 'events.patch', DELETE: 'events.delete' }[request.method] ?? 'events.get'
    );
  };
  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    if (!request.url.startsWith('/calendar/v3/')) return;
    const failure = failures.take(routeOf(request));
    if (failure) return sendFailure(reply, failure);
  });

  const principalFor = (
    request: FastifyRequest,
    reply: FastifyReply,
    scopes = SCOPES,
  ): GooglePrincipal | undefined => {
    const principal = auth.principal(request, reply);
    if (!principal) return undefined;
    if (scopes.some((scope) => principal.scopes.has(scope))) return principal;
    void reply.code(403).send(
      googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
        reason: 'insufficientPermissions',
      }),
    );
    return undefined;
  };
  /** `primary` is the principal's own calendar (the robot's is the person's, shared with it). */
  const calendarFor = (reply: FastifyReply, principal: GooglePrincipal, id: string): string | undefined => {
    const resolved = id === 'primary' ? auth.personEmail : id;
    const readers = calendars.get(resolved);
    if (!readers?.has(principal.email)) {
      void reply.code(404).send(googleError(404, 'NOT_FOUND', 'Not Found', { reason: 'notFound' }));
      return undefined;
    }
    return resolved;
  };
  const resource = (event: FakeEvent) => ({
    kind: 'calendar#event',
    etag: `"${Date.parse(event.updated)}"`,
    id: event.id,
    status: event.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${event.id} ${event.calendarId}`).toString('base64url')}`,
    created: event.created,
    updated: event.updated,
    ...(event.summary === undefined ? {} : { summary: event.summary }),
    ...(event.description === undefined ? {} : { description: event.description }),
    ...(event.location === undefined ? {} : { location: event.location }),
    organizer: { email: event.calendarId, self: true },
    start: event.start,
    end: event.end,
    ...(event.attendees ? { attendees: event.attendees } : {}),
  });
  let clock = Date.now();
  const now = () => {
    clock = Math.max(clock + 1, Date.now());
    return new Date(clock).toISOString();
  };
  const badTime = (reply: FastifyReply, message: string) =>
    reply.code(400).send(googleError(400, 'INVALID_ARGUMENT', message, { reason: 'invalid' }));
  const validTime = (time: unknown): time is Time => {
    const value = time as Time | undefined;
    return Boolean(value && (value.date || value.dateTime) && !Number.isNaN(startOf(value)));
  };
  type Body = Partial<FakeEvent> & { attendees?: { email: string }[] };
  const newEvent = (calendarId: string, body: Body): FakeEvent => {
    const time = now();
    const event: FakeEvent = {
      id: body.id ?? randomBytes(13).toString('hex').replace(/[w-z]/g, 'a'),
      calendarId,
      status: 'confirmed',
      summary: body.summary,
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(body.location === undefined ? {} : { location: body.location }),
      start: body.start as Time,
      end: body.end as Time,
      ...(body.attendees
        ? {
            attendees: body.attendees.map((attendee) => ({
              email: attendee.email,
              responseStatus: 'needsAction',
            })),
          }
        : {}),
      created: time,
      updated: time,
    };
    events.push(event);
    return event;
  };

  type Params = { calendarId: string; eventId: string };
  type Query = Record<string, string | undefined>;

  app.post<{ Params: Params; Querystring: Query }>(
    '/calendar/v3/calendars/:calendarId/events',
    async (request, reply) => {
      const principal = principalFor(request, reply);
      if (!principal) return reply;
      const calendarId = calendarFor(reply, principal, request.params.calendarId);
      if (!calendarId) return reply;
      const body = (request.body ?? {}) as Body;
      if (body.id !== undefined && !BASE32HEX.test(body.id))
        return badTime(reply, 'Invalid resource id value.');
      if (body.id !== undefined && events.some((event) => event.id === body.id))
        return reply.code(409).send(
          googleError(409, 'ALREADY_EXISTS', 'The requested identifier already exists.', {
            reason: 'duplicate',
          }),
        );
      if (!validTime(body.start) || !validTime(body.end)) return badTime(reply, 'Missing end time.');
      if (startOf(body.end) < startOf(body.start))
        return badTime(reply, 'The specified time range is empty.');
      return resource(newEvent(calendarId, body));
    },
  );

  app.get<{ Params: Params; Querystring: Query }>(
    '/calendar/v3/calendars/:calendarId/events',
    async (request, reply) => {
      const principal = principalFor(request, reply, [
        ...SCOPES,
        'https://www.googleapis.com/auth/calendar.readonly',
      ]);
      if (!principal) return reply;
      const calendarId = calendarFor(reply, principal, request.params.calendarId);
      if (!calendarId) return reply;
      const { timeMin, timeMax, q, updatedMin, orderBy, pageToken } = request.query;
      if (orderBy === 'startTime' && request.query.singleEvents !== 'true')
        return badTime(reply, 'The requested ordering is not available for the particular query.');
      const max = Math.min(2500, Number(request.query.maxResults ?? 250));
      const listed = events
        .filter(
          (event) =>
            event.calendarId === calendarId &&
            (request.query.showDeleted === 'true' || event.status !== 'cancelled') &&
            (!timeMin || startOf(event.end) > Date.parse(timeMin)) &&
            (!timeMax || startOf(event.start) < Date.parse(timeMax)) &&
            (!updatedMin || Date.parse(event.updated) > Date.parse(updatedMin)) &&
            (!q ||
              `${event.summary ?? ''} ${event.description ?? ''} ${event.location ?? ''}`
                .toLowerCase()
                .includes(q.toLowerCase())),
        )
        .sort((a, b) =>
          orderBy === 'updated' ? a.updated.localeCompare(b.updated) : startOf(a.start) - startOf(b.start),
        );
      const start = pageToken ? Number(Buffer.from(pageToken, 'base64url').toString()) : 0;
      const page = listed.slice(start, start + max);
      const next =
        start + max < listed.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
      return {
        kind: 'calendar#events',
        summary: calendarId,
        items: page.map(resource),
        ...(next ? { nextPageToken: next } : {}),
      };
    },
  );

  const findEvent = (
    request: FastifyRequest<{ Params: Params }>,
    reply: FastifyReply,
    principal: GooglePrincipal,
  ) => {
    const calendarId = calendarFor(reply, principal, request.params.calendarId);
    if (!calendarId) return undefined;
    const event = events.find(
      (candidate) => candidate.id === request.params.eventId && candidate.calendarId === calendarId,
    );
    if (!event) {
      void reply.code(404).send(googleError(404, 'NOT_FOUND', 'Not Found', { reason: 'notFound' }));
      return undefined;
    }
    if (event.status === 'cancelled' && request.method !== 'GET') {
      void reply.code(410).send(googleError(410, 'GONE', 'Resource has been deleted', { reason: 'deleted' }));
      return undefined;
    }
    return event;
  };

  app.get<{ Params: Params }>(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    async (request, reply) => {
      const principal = principalFor(request, reply);
      if (!principal) return reply;
      const event = findEvent(request, reply, principal);
      return event ? resource(event) : reply;
    },
  );

  app.patch<{ Params: Params }>(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    async (request, reply) => {
      const principal = principalFor(request, reply);
      if (!principal) return reply;
      const event = findEvent(request, reply, principal);
      if (!event) return reply;
      const body = (request.body ?? {}) as Body;
      if (body.start !== undefined && !validTime(body.start)) return badTime(reply, 'Invalid start time.');
      if (body.end !== undefined && !validTime(body.end)) return badTime(reply, 'Invalid end time.');
      for (const field of ['summary', 'description', 'location', 'start', 'end'] as const)
        if (body[field] !== undefined) Object.assign(event, { [field]: body[field] });
      if (body.attendees)
        event.attendees = body.attendees.map((attendee) => ({
          email: attendee.email,
          responseStatus: 'needsAction',
        }));
      event.updated = now();
      return resource(event);
    },
  );

  app.delete<{ Params: Params }>(
    '/calendar/v3/calendars/:calendarId/events/:eventId',
    async (request, reply) => {
      const principal = principalFor(request, reply);
      if (!principal) return reply;
      const event = findEvent(request, reply, principal);
      if (!event) return reply;
      event.status = 'cancelled';
      event.updated = now();
      return reply.code(204).send();
    },
  );

  app.post('/calendar/v3/freeBusy', async (request, reply) => {
    const principal = principalFor(request, reply, FREEBUSY_SCOPES);
    if (!principal) return reply;
    const body = (request.body ?? {}) as { timeMin?: string; timeMax?: string; items?: { id: string }[] };
    const from = Date.parse(body.timeMin ?? '');
    const to = Date.parse(body.timeMax ?? '');
    if (Number.isNaN(from) || Number.isNaN(to)) return badTime(reply, 'Missing timeMin or timeMax.');
    const answer: Record<string, unknown> = {};
    for (const { id } of body.items ?? []) {
      const resolved = id === 'primary' ? auth.personEmail : id;
      if (!calendars.get(resolved)?.has(principal.email)) {
        answer[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
        continue;
      }
      answer[id] = {
        busy: events
          .filter(
            (event) =>
              event.calendarId === resolved &&
              event.status !== 'cancelled' &&
              startOf(event.start) < to &&
              startOf(event.end) > from,
          )
          .map((event) => ({
            start: new Date(startOf(event.start)).toISOString(),
            end: new Date(startOf(event.end)).toISOString(),
          })),
      };
    }
    return { kind: 'calendar#freeBusy', timeMin: body.timeMin, timeMax: body.timeMax, calendars: answer };
  });

  const origin = await listenLocal(app);
  base = origin;
  return {
    url: `${origin}/calendar/v3`,
    oauthUrl: origin,
    auth,
    requests,
    events: () => events,
    add: (event) => newEvent(event.calendarId ?? auth.personEmail, event),
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
