import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { googleError } from '../google/fake-auth.ts';
import { memoryTokenSource } from '../google/testing-tokens.ts';
import { clearTokenCache } from '../sdk/auth/index.ts';
import type { ConnectorEnvironment, PollTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { CALENDAR_SCOPES, eventIdFor } from './client.ts';
import { googleCalendarConnector } from './connector.ts';
import { type CalendarFake, startCalendarFake } from './fake-server.ts';

let fake: CalendarFake;
let env: ConnectorEnvironment;

beforeAll(async () => {
  fake = await startCalendarFake();
  env = createTestEnvironment({ googlecalendar: fake.url, 'google-oauth': fake.oauthUrl });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => clearTokenCache());

type Options = { idempotencyKey?: string };
const oauth = () => {
  const credential = fake.auth.oauthCredential(CALENDAR_SCOPES);
  return { credential, credentialType: 'oauth2', env: { ...env, tokens: memoryTokenSource(credential) } };
};
const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(googleCalendarConnector, key, input, { ...oauth(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(googleCalendarConnector, key, input, { ...oauth(), ...options });
const last = (method: string, fragment: string) =>
  fake.requests.filter((request) => request.method === method && request.path.includes(fragment)).at(-1);

describe('googlecalendar actions against the Calendar API v3 fake', () => {
  it('creates an event with the step-derived id; a retry after a lost answer returns the same event', async () => {
    const input = {
      summary: 'Demo with Acme',
      start: '2026-12-08T15:00:00+01:00',
      end: '2026-12-08T15:30:00+01:00',
      timeZone: 'Europe/Berlin',
      attendees: ['ana@example.com'],
      sendUpdates: 'all',
    };
    const options = { idempotencyKey: 'run-7:book:0' };
    const event = (await run('createEvent', input, options)) as {
      id: string;
      attendees: unknown[];
      allDay: boolean;
    };
    expect(event).toMatchObject({
      id: eventIdFor('run-7:book:0'),
      summary: 'Demo with Acme',
      start: '2026-12-08T15:00:00+01:00',
      allDay: false,
      attendees: [{ email: 'ana@example.com', responseStatus: 'needsAction' }],
    });
    expect(event.id).toMatch(/^[a-v0-9]{5,1024}$/);
    const sent = last('POST', '/events');
    expect(sent?.path).toBe('/calendar/v3/calendars/primary/events');
    expect(sent?.query).toEqual({ sendUpdates: 'all' });
    expect(sent?.body).toEqual({
      id: event.id,
      summary: 'Demo with Acme',
      start: { dateTime: '2026-12-08T15:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-12-08T15:30:00+01:00', timeZone: 'Europe/Berlin' },
      attendees: [{ email: 'ana@example.com' }],
    });
    expect(await run('createEvent', input, options)).toMatchObject({ id: event.id });
    expect(fake.events().filter((candidate) => candidate.summary === 'Demo with Acme')).toHaveLength(1);
  });

  it('patches only the given fields, lists in start order with pages, and deletes twice without an error', async () => {
    const allDay = (await run(
      'createEvent',
      { summary: 'Offsite', start: '2026-12-10', end: '2026-12-11' },
      { idempotencyKey: 'k-offsite' },
    )) as {
      id: string;
      allDay: boolean;
    };
    expect(allDay.allDay).toBe(true);
    const moved = await run('updateEvent', { eventId: allDay.id, location: 'Lisbon' });
    expect(moved).toMatchObject({ summary: 'Offsite', location: 'Lisbon' });
    expect(last('PATCH', allDay.id)?.body).toEqual({ location: 'Lisbon' });
    for (let index = 0; index < 260; index++)
      fake.add({
        summary: `Standup ${index}`,
        start: { dateTime: `2027-01-01T09:00:00Z` },
        end: { dateTime: `2027-01-01T09:15:00Z` },
      });
    const listed = (await run('listEvents', {
      timeMin: '2026-12-31T00:00:00Z',
      query: 'standup',
      limit: 300,
    })) as {
      events: unknown[];
      truncated: boolean;
    };
    expect(listed.events).toHaveLength(260);
    expect(last('GET', '/events')?.query).toMatchObject({
      singleEvents: 'true',
      orderBy: 'startTime',
      q: 'standup',
      pageToken: expect.any(String),
    });
    expect(await run('deleteEvent', { eventId: allDay.id })).toEqual({ eventId: allDay.id, deleted: true });
    expect(await run('deleteEvent', { eventId: allDay.id })).toEqual({ eventId: allDay.id, deleted: true });
    expect(await runError('updateEvent', { eventId: 'nothere123', summary: 'x' })).toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  it('freeBusy answers the busy intervals per calendar and names a calendar it cannot see', async () => {
    fake.add({
      summary: 'Busy',
      start: { dateTime: '2027-02-01T10:00:00Z' },
      end: { dateTime: '2027-02-01T11:00:00Z' },
    });
    const answer = await run('freeBusy', {
      calendarIds: ['primary', 'nobody@example.com'],
      timeMin: '2027-02-01T08:00:00Z',
      timeMax: '2027-02-01T18:00:00Z',
    });
    expect(answer).toEqual({
      calendars: [
        {
          calendarId: 'primary',
          busy: [{ start: '2027-02-01T10:00:00.000Z', end: '2027-02-01T11:00:00.000Z' }],
          error: null,
        },
        { calendarId: 'nobody@example.com', busy: [], error: 'notFound' },
      ],
    });
    expect(last('POST', '/freeBusy')?.body).toMatchObject({
      items: [{ id: 'primary' }, { id: 'nobody@example.com' }],
    });
  });

  it('maps Calendar errors: a bad time range, a 403 rateLimitExceeded, a refused token', async () => {
    const bad = await runError('createEvent', {
      summary: 'x',
      start: '2026-12-08T15:00:00Z',
      end: '2026-12-08T14:00:00Z',
    });
    expect(bad).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'INVALID_ARGUMENT' } });
    expect((bad as { hint: string }).hint).toContain('end is after the start');
    fake.fail('events.list', {
      status: 403,
      body: googleError(403, 'PERMISSION_DENIED', 'Rate Limit Exceeded', {
        reason: 'rateLimitExceeded',
        domain: 'usageLimits',
      }),
    });
    expect(await runError('listEvents', {})).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true });
    fake.fail('events.list', {
      status: 401,
      times: 2,
      body: googleError(401, 'UNAUTHENTICATED', 'Invalid Credentials'),
    });
    const refused = await runError('listEvents', {});
    expect(refused).toMatchObject({ code: 'E_AUTH' });
    expect((refused as { hint: string }).hint).toContain('--type oauth2 --provider google');
  });
});

describe('googlecalendar eventCreated trigger', () => {
  const trigger = googleCalendarConnector.triggers[0] as PollTriggerDefinition;
  const poll = (filters: unknown, after?: { at: number; id: string }) => {
    const { credential, env: withTokens } = oauth();
    return trigger.poll(
      {
        credential,
        client: googleCalendarConnector.createClient({ credential, env: withTokens }),
        logger: env.logger,
        signal: AbortSignal.timeout(10_000),
        env: withTokens,
      },
      trigger.with.parse(filters),
      { after, state: undefined },
    );
  };

  it('asks for events updated after the watermark and gives each its creation time', async () => {
    const first = await poll({ query: 'interview' });
    expect(first.items).toEqual([]);
    expect(Date.parse(String(last('GET', '/events')?.query.updatedMin))).toBeLessThan(
      Date.now() - 6 * 24 * 3600 * 1000,
    );
    const booked = fake.add({
      summary: 'Interview: Ana',
      start: { dateTime: '2027-03-01T10:00:00Z' },
      end: { dateTime: '2027-03-01T11:00:00Z' },
    });
    const after = { at: Date.parse(booked.created) - 5000, id: 'older' };
    const next = await poll({ query: 'interview' }, after);
    expect(last('GET', '/events')?.query).toMatchObject({
      orderBy: 'updated',
      q: 'interview',
      updatedMin: new Date(after.at - 1000).toISOString(),
    });
    expect(next.items).toEqual([
      {
        id: booked.id,
        at: Date.parse(booked.created),
        data: expect.objectContaining({ summary: 'Interview: Ana' }),
      },
    ]);
    expect(trigger.data.safeParse(next.items[0]?.data).success).toBe(true);
  });
});

it('documents every action and trigger', async () => {
  const doc = await readFile(googleCalendarConnector.docPath, 'utf8');
  expect(docSections(doc)).toEqual([
    ...googleCalendarConnector.actions.map((action) => action.key),
    ...googleCalendarConnector.triggers.map((candidate) => `trigger:${candidate.key}`),
  ]);
});
