import { z } from 'zod';
import { CalendarEvent, CalendarId, EventList, toEvent } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 250;

export const listEvents = rest.list({
  key: 'listEvents',
  title: 'List Google Calendar events',
  description:
    'List the events of a Google Calendar in a time window (repeating events expanded, in start order), optionally matching a text.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    calendarId: CalendarId,
    timeMin: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Events ending after this time, e.g. "2026-12-08T00:00:00Z".'),
    timeMax: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Events starting before this time, e.g. "2026-12-15T00:00:00Z".'),
    query: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe('Only events with this text in the title, description, location or guests.'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(2500)
      .default(100)
      .describe('At most this many events (1–2500, default 100).'),
  }),
  output: z.object({
    events: z.array(CalendarEvent).describe('The events, earliest start first.'),
    truncated: z.boolean().describe('True when more events matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/calendars/{calendarId}/events',
    query: (input) => ({
      timeMin: input.timeMin,
      timeMax: input.timeMax,
      q: input.query,
      singleEvents: true,
      orderBy: 'startTime',
      maxResults: Math.min(PAGE_SIZE, input.limit),
    }),
  },
  paginate: {
    style: 'cursor',
    cursorParam: 'pageToken',
    items: (body) => EventList.parse(body).items,
    nextCursor: (body) => EventList.parse(body).nextPageToken,
    maxItems: (input) => input.limit,
  },
  project: (collected) => ({ events: collected.items.map(toEvent), truncated: collected.truncated }),
});
