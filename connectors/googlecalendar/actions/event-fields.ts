import { z } from 'zod';
import { EventTime, timeObject } from '../client.ts';

/** The event fields createEvent takes and updateEvent may change. */
export const EventFields = {
  summary: z.string().min(1).max(1024).describe('The title, e.g. "Demo with Acme".'),
  start: EventTime.describe('Start: e.g. "2026-12-08T15:00:00+01:00", or "2026-12-08" for an all-day event.'),
  end: EventTime.describe(
    'End (exclusive): e.g. "2026-12-08T15:30:00+01:00", or the day after for a one-day all-day event.',
  ),
  timeZone: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('An IANA time zone for the times, e.g. "Europe/Berlin" (needed for repeating events).'),
  description: z.string().max(8192).optional().describe('The description (plain text or simple HTML).'),
  location: z.string().max(1024).optional().describe('Where, e.g. an address or a room.'),
  attendees: z.array(z.email()).max(100).optional().describe('Guests by e-mail, e.g. ["ana@example.com"].'),
};

type Fields = { [Key in keyof typeof EventFields]?: z.output<(typeof EventFields)[Key]> | undefined };

/** The fields as Calendar's event resource has them; fields not given are left out (a patch keeps them). */
export function eventResource(input: Fields): Record<string, unknown> {
  return {
    ...(input.summary === undefined ? {} : { summary: input.summary }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.location === undefined ? {} : { location: input.location }),
    ...(input.start === undefined ? {} : { start: timeObject(input.start, input.timeZone) }),
    ...(input.end === undefined ? {} : { end: timeObject(input.end, input.timeZone) }),
    ...(input.attendees === undefined ? {} : { attendees: input.attendees.map((email) => ({ email })) }),
  };
}
