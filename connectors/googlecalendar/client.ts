import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { GoogleApiSpec } from '../google/client.ts';

export const CALENDAR_API_URL = 'https://www.googleapis.com/calendar/v3';
export const CALENDAR_SCOPES = [
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.freebusy',
];

export const calendarApi: GoogleApiSpec = {
  connector: 'googlecalendar',
  apiName: 'Google Calendar API',
  baseUrl: CALENDAR_API_URL,
  scopes: CALENDAR_SCOPES,
  acceptedScopes: [
    'https://www.googleapis.com/auth/calendar',
    'https://www.googleapis.com/auth/calendar.readonly',
  ],
  shared: 'the calendar (Settings and sharing → Share with specific people → "Make changes to events")',
  hints: {
    400: 'Check the times (RFC 3339 with an offset, e.g. "2026-12-08T15:00:00+01:00", or a date "2026-12-08" for all-day) and that the end is after the start.',
    404: 'Check the calendarId ("primary", or the calendar\'s ID from its settings) and the eventId.',
  },
};

export const CalendarId = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .default('primary')
  .describe(
    'The calendar: "primary" (default, the account\'s own) or a calendar ID such as "team@group.calendar.google.com".',
  );

export const EventId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_@.-]{1,1024}$/, 'an event id as createEvent or listEvents returned it')
  .describe('The event id, from createEvent, listEvents or the eventCreated trigger.');

/** A time: RFC 3339 with an offset for a timed event, or a date for an all-day one. */
export const EventTime = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .describe(
    'RFC 3339 with an offset, e.g. "2026-12-08T15:00:00+01:00", or a date "2026-12-08" for an all-day event.',
  );

/** Calendar's start/end object: `date` for all-day, `dateTime` (+ optional timeZone) otherwise. */
export function timeObject(value: string, timeZone: string | undefined) {
  return /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? { date: value }
    : { dateTime: value, ...(timeZone ? { timeZone } : {}) };
}

/**
 * Calendar's own event id for a step (base32hex: a–v and 0–9, 5–1024 characters), the same on every retry: a
 * second insert of it is refused as a duplicate instead of making a second event.
 */
export function eventIdFor(idempotencyKey: string): string {
  const digits = '0123456789abcdefghijklmnopqrstuv';
  const bytes = createHash('sha256').update(`vmesh:${idempotencyKey}`).digest();
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let id = '';
  for (let index = 0; index + 5 <= bits.length; index += 5)
    id += digits[Number.parseInt(bits.slice(index, index + 5), 2)];
  return `vm${id}`;
}

const TimeBody = z
  .object({ date: z.string().optional(), dateTime: z.string().optional(), timeZone: z.string().optional() })
  .loose();
export const EventBody = z.object({
  id: z.string(),
  status: z.string().default('confirmed'),
  summary: z.string().optional(),
  description: z.string().optional(),
  location: z.string().optional(),
  htmlLink: z.string().optional(),
  created: z.string().optional(),
  updated: z.string().optional(),
  start: TimeBody.optional(),
  end: TimeBody.optional(),
  organizer: z.object({ email: z.string().optional() }).loose().optional(),
  attendees: z
    .array(z.object({ email: z.string().optional(), responseStatus: z.string().optional() }).loose())
    .max(1000)
    .optional(),
  hangoutLink: z.string().optional(),
});

export const CalendarEvent = z.object({
  id: z.string().describe('The event id.'),
  status: z.string().describe('confirmed, tentative or cancelled.'),
  summary: z.string().describe('The title.'),
  description: z.string().describe('The description (may hold HTML).'),
  location: z.string().describe('The location.'),
  start: z.string().nullable().describe('Start: an RFC 3339 time, or a date for all-day events.'),
  end: z.string().nullable().describe('End (exclusive), like start.'),
  allDay: z.boolean().describe('Whether it is an all-day event.'),
  attendees: z
    .array(
      z.object({
        email: z.string().describe('E-mail.'),
        responseStatus: z.string().describe('needsAction, accepted, declined or tentative.'),
      }),
    )
    .describe('The guests.'),
  organizer: z.string().nullable().describe("The organizer's e-mail."),
  link: z.string().describe('Link to the event in Google Calendar.'),
  meetLink: z.string().nullable().describe('The Google Meet link, when there is one.'),
  created: z.string().nullable().describe('When it was created (RFC 3339).'),
  updated: z.string().nullable().describe('When it was last changed (RFC 3339).'),
});
export type CalendarEvent = z.infer<typeof CalendarEvent>;

export function toEvent(raw: unknown): CalendarEvent {
  const event = EventBody.parse(raw);
  return {
    id: event.id,
    status: event.status,
    summary: event.summary ?? '',
    description: event.description ?? '',
    location: event.location ?? '',
    start: event.start?.dateTime ?? event.start?.date ?? null,
    end: event.end?.dateTime ?? event.end?.date ?? null,
    allDay: Boolean(event.start?.date && !event.start.dateTime),
    attendees: (event.attendees ?? []).map((attendee) => ({
      email: attendee.email ?? '',
      responseStatus: attendee.responseStatus ?? 'needsAction',
    })),
    organizer: event.organizer?.email ?? null,
    link: event.htmlLink ?? '',
    meetLink: event.hangoutLink ?? null,
    created: event.created ?? null,
    updated: event.updated ?? null,
  };
}

export const EventList = z.object({
  items: z.array(z.unknown()).max(2500).default([]),
  nextPageToken: z.string().optional(),
});

export const SendUpdates = z
  .enum(['all', 'externalOnly', 'none'])
  .default('none')
  .describe(
    'Whom Google e-mails about it: all guests, only guests outside the organisation, or none (default).',
  );

export const calendarPath = (calendarId: string, ...rest: string[]) =>
  ['/calendars', encodeURIComponent(calendarId), 'events', ...rest.map(encodeURIComponent)].join('/');
