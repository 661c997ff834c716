import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { CalendarEvent, CalendarId, calendarPath, eventIdFor, SendUpdates, toEvent } from '../client.ts';
import { calendarAction } from '../kit.ts';
import { EventFields, eventResource } from './event-fields.ts';

export const createEvent = calendarAction({
  key: 'createEvent',
  title: 'Create a Google Calendar event',
  description:
    'Add an event (timed or all-day, with guests, a description and a location) to a Google Calendar, optionally e-mailing the guests.',
  effect: 'write',
  // The event id is derived from the step: a retry inserts the same id, which Calendar refuses as a duplicate.
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Google Calendar', withValue.calendarId ?? 'primary', { event: withValue.summary }),
  input: z.strictObject({
    calendarId: CalendarId,
    ...EventFields,
    sendUpdates: SendUpdates,
  }),
  output: CalendarEvent,
  async run(input, ctx) {
    const id = eventIdFor(ctx.idempotencyKey);
    try {
      const response = await ctx.client.send(
        {
          method: 'POST',
          path: calendarPath(input.calendarId),
          query: { sendUpdates: input.sendUpdates },
          json: { id, ...eventResource(input) },
        },
        ctx.signal,
      );
      return toEvent(response.body);
    } catch (error) {
      // An earlier attempt made it (its answer was lost): the event is there under the step's id.
      if (!(error instanceof ConnectorError) || error.status !== 409) throw error;
      const existing = await ctx.client.send(
        { method: 'GET', path: calendarPath(input.calendarId, id) },
        ctx.signal,
      );
      return toEvent(existing.body);
    }
  },
});
