import { z } from 'zod';
import { CalendarEvent, CalendarId, EventBody, EventList, toEvent } from '../client.ts';
import { rest } from '../kit.ts';

/** The first poll looks this far back for the newest event (the runtime records it without a run). */
const FIRST_LOOK_BACK_MS = 7 * 24 * 3600 * 1000;

export const eventCreated = rest.poll({
  key: 'eventCreated',
  title: 'New event in Google Calendar',
  description:
    'Starts the workflow for each event added to a Google Calendar (booked, invited or created), checked every intervalSeconds by its creation time.',
  with: z.strictObject({
    calendarId: CalendarId,
    query: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe('Only events with this text in the title, description, location or guests.'),
    intervalSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(60)
      .describe('How often to check, in seconds (10–86400, default 60).'),
  }),
  data: CalendarEvent,
  sample: {
    id: 'vm4f8k2q0c9m1r7s3t5u6v0a1b',
    status: 'confirmed',
    summary: 'Demo with Acme',
    description: '',
    location: 'Meet',
    start: '2026-12-08T15:00:00+01:00',
    end: '2026-12-08T15:30:00+01:00',
    allDay: false,
    attendees: [{ email: 'ana@example.com', responseStatus: 'needsAction' }],
    organizer: 'sales@example.com',
    link: 'https://www.google.com/calendar/event?eid=dm00Zjhr',
    meetLink: null,
    created: '2026-12-04T10:00:00.000Z',
    updated: '2026-12-04T10:00:00.000Z',
  },
  intervalMs: (filters) => filters.intervalSeconds * 1000,
  http: {
    method: 'GET',
    path: '/calendars/{calendarId}/events',
    query: (filters) => ({ q: filters.query, orderBy: 'updated', showDeleted: false, maxResults: 250 }),
  },
  // Events changed since the watermark (a created event is a changed one); the runtime keeps those created after it.
  since: (after) => ({
    updatedMin: new Date(after ? after.at - 1000 : Date.now() - FIRST_LOOK_BACK_MS).toISOString(),
  }),
  paginate: {
    style: 'cursor',
    cursorParam: 'pageToken',
    items: (body) => EventList.parse(body).items,
    nextCursor: (body) => EventList.parse(body).nextPageToken,
    maxPages: 5,
  },
  item: (raw) => {
    const body = EventBody.parse(raw);
    if (!body.created || body.status === 'cancelled') return undefined;
    return { id: body.id, at: Date.parse(body.created), data: toEvent(body) };
  },
});
