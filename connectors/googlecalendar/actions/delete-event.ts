import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CalendarId, EventId, SendUpdates } from '../client.ts';
import { rest } from '../kit.ts';

export const deleteEvent = rest.action({
  key: 'deleteEvent',
  title: 'Delete a Google Calendar event',
  description:
    'Remove an event from a Google Calendar (cancel a meeting), optionally telling the guests; deleting it again is fine.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Google Calendar event', withValue.eventId, {
      calendar: withValue.calendarId ?? 'primary',
    }),
  input: z.strictObject({ calendarId: CalendarId, eventId: EventId, sendUpdates: SendUpdates }),
  output: z.object({
    eventId: z.string().describe('The event deleted.'),
    deleted: z.literal(true).describe('Always true (also when it was already deleted).'),
  }),
  http: {
    method: 'DELETE',
    path: '/calendars/{calendarId}/events/{eventId}',
    query: (input) => ({ sendUpdates: input.sendUpdates }),
  },
  project: (_, input) => ({ eventId: input.eventId, deleted: true as const }),
  // 410 Gone: an earlier attempt (or a person) deleted it already.
  answers: { 410: (input) => ({ eventId: input.eventId, deleted: true as const }) },
});
