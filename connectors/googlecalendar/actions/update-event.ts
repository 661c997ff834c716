import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CalendarEvent, CalendarId, EventId, SendUpdates, toEvent } from '../client.ts';
import { rest } from '../kit.ts';
import { EventFields, eventResource } from './event-fields.ts';

export const updateEvent = rest.action({
  key: 'updateEvent',
  title: 'Update a Google Calendar event',
  description:
    'Change an event of a Google Calendar (time, title, description, location or guests): only the fields given change (events.patch).',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Google Calendar event', withValue.eventId, {
      calendar: withValue.calendarId ?? 'primary',
    }),
  input: z.strictObject({
    calendarId: CalendarId,
    eventId: EventId,
    summary: EventFields.summary.optional(),
    start: EventFields.start.optional(),
    end: EventFields.end.optional(),
    timeZone: EventFields.timeZone,
    description: EventFields.description,
    location: EventFields.location,
    attendees: EventFields.attendees.describe(
      'The full new guest list (replaces the old one), e.g. ["ana@example.com"].',
    ),
    sendUpdates: SendUpdates,
  }),
  output: CalendarEvent,
  http: {
    method: 'PATCH',
    path: '/calendars/{calendarId}/events/{eventId}',
    query: (input) => ({ sendUpdates: input.sendUpdates }),
    json: (input) => eventResource(input),
  },
  project: (response) => toEvent(response.body),
});
