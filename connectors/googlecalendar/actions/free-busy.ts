import { z } from 'zod';
import { rest } from '../kit.ts';

const Busy = z
  .array(z.object({ start: z.string(), end: z.string() }))
  .max(10_000)
  .default([]);
const FreeBusyBody = z.object({
  calendars: z
    .record(
      z.string(),
      z.object({
        busy: Busy,
        errors: z.array(z.object({ reason: z.string().optional() }).loose()).optional(),
      }),
    )
    .default({}),
});

export const freeBusy = rest.action({
  key: 'freeBusy',
  title: 'Check free/busy times in Google Calendar',
  description:
    'Find when one or more Google Calendars are busy in a time window (freeBusy.query), e.g. to pick a meeting slot everyone has free.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    calendarIds: z
      .array(z.string().min(1).max(300))
      .min(1)
      .max(50)
      .default(['primary'])
      .describe(
        'The calendars to check: "primary", calendar IDs or people\'s e-mails, e.g. ["primary", "ana@example.com"].',
      ),
    timeMin: z.iso.datetime({ offset: true }).describe('Window start, e.g. "2026-12-08T08:00:00+01:00".'),
    timeMax: z.iso.datetime({ offset: true }).describe('Window end, e.g. "2026-12-08T18:00:00+01:00".'),
    timeZone: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('Time zone of the answer, e.g. "Europe/Berlin"; default UTC.'),
  }),
  output: z.object({
    calendars: z
      .array(
        z.object({
          calendarId: z.string().describe('The calendar checked.'),
          busy: z
            .array(
              z.object({ start: z.string().describe('Busy from.'), end: z.string().describe('Busy until.') }),
            )
            .describe('Busy intervals in the window.'),
          error: z
            .string()
            .nullable()
            .describe('Why it could not be checked (notFound, or no access), or null.'),
        }),
      )
      .describe("Each calendar's busy times."),
  }),
  http: {
    method: 'POST',
    path: '/freeBusy',
    json: (input) => ({
      timeMin: input.timeMin,
      timeMax: input.timeMax,
      ...(input.timeZone ? { timeZone: input.timeZone } : {}),
      items: input.calendarIds.map((id) => ({ id })),
    }),
  },
  project: (response, input) => {
    const { calendars } = FreeBusyBody.parse(response.body);
    return {
      calendars: input.calendarIds.map((calendarId) => {
        const entry = calendars[calendarId];
        return {
          calendarId,
          busy: entry?.busy ?? [],
          error: entry?.errors?.[0]?.reason ?? (entry ? null : 'notFound'),
        };
      }),
    };
  },
});
