import { createHash } from 'node:crypto';
import { z } from 'zod';
import { recipientText } from '../../microsoft/graph.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { AddressInput, toRecipients } from '../client.ts';
import { rest } from '../kit.ts';

const LocalDateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/,
    'a local date and time, e.g. 2026-05-04T14:00:00',
  );

const EventBody = z.object({
  id: z.string(),
  subject: z.string().nullable().optional(),
  webLink: z.string().optional(),
  start: z.object({ dateTime: z.string(), timeZone: z.string() }),
  end: z.object({ dateTime: z.string(), timeZone: z.string() }),
  onlineMeeting: z.object({ joinUrl: z.string().optional() }).nullable().optional(),
  attendees: z
    .array(
      z.object({ emailAddress: z.object({ address: z.string().optional(), name: z.string().optional() }) }),
    )
    .default([]),
});

export const createEvent = rest.action({
  key: 'createEvent',
  title: 'Create an Outlook calendar event',
  description:
    'Add an event to the Outlook calendar of the connected account: subject, start and end in a time zone, location, attendees (they get invitations), optionally a Teams meeting link.',
  effect: 'write',
  // Graph's event transactionId, derived from the step's key, makes a retried POST return the first event.
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Outlook calendar, event', withValue.subject, {
      start: withValue.start,
      attendees: withValue.attendees,
    }),
  input: z.strictObject({
    subject: z.string().min(1).max(255).describe('Event title, e.g. "Onboarding call with Acme".'),
    start: LocalDateTime.describe('Start, local time in timeZone, e.g. "2026-05-04T14:00:00".'),
    end: LocalDateTime.describe('End, local time in timeZone, e.g. "2026-05-04T14:30:00".'),
    timeZone: z
      .string()
      .min(1)
      .max(100)
      .default('UTC')
      .describe(
        'Time zone of start and end: IANA ("Europe/Berlin") or Windows ("W. Europe Standard Time"); default UTC.',
      ),
    body: z.string().max(100_000).optional().describe('Description (HTML allowed), e.g. "Agenda: …".'),
    location: z.string().max(255).optional().describe('Where, e.g. "Room 4.12" or an address.'),
    attendees: AddressInput.optional().describe(
      'People to invite, e.g. ["ana@contoso.com", "Bob <bob@fabrikam.com>"].',
    ),
    teamsMeeting: z
      .boolean()
      .default(false)
      .describe('Create a Teams meeting link for it (work and school accounts).'),
    isAllDay: z.boolean().default(false).describe('An all-day event (start and end at midnight).'),
  }),
  output: z.object({
    id: z.string().describe('The event id.'),
    subject: z.string().describe('Its title.'),
    start: z
      .string()
      .describe(
        'Start as Graph stored it, with the time zone, e.g. "2026-05-04T14:00:00.0000000 Europe/Berlin".',
      ),
    end: z.string().describe('End, the same way.'),
    webLink: z.string().describe('Link that opens it in Outlook on the web.'),
    joinUrl: z.string().describe('The Teams meeting link ("" without teamsMeeting).'),
    attendees: z.array(z.string()).describe('The invited people.'),
  }),
  http: {
    method: 'POST',
    path: '/me/events',
    json: (input, ctx) => ({
      subject: input.subject,
      start: { dateTime: input.start, timeZone: input.timeZone },
      end: { dateTime: input.end, timeZone: input.timeZone },
      ...(input.body ? { body: { contentType: 'HTML', content: input.body } } : {}),
      ...(input.location ? { location: { displayName: input.location } } : {}),
      attendees: toRecipients(input.attendees, 'attendees').map((recipient) => ({
        ...recipient,
        type: 'required',
      })),
      isAllDay: input.isAllDay,
      ...(input.teamsMeeting ? { isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' } : {}),
      transactionId: createHash('sha256').update(ctx.idempotencyKey).digest('hex').slice(0, 36),
    }),
  },
  project: (response) => {
    const event = EventBody.parse(response.body);
    return {
      id: event.id,
      subject: event.subject ?? '',
      start: `${event.start.dateTime} ${event.start.timeZone}`,
      end: `${event.end.dateTime} ${event.end.timeZone}`,
      webLink: event.webLink ?? '',
      joinUrl: event.onlineMeeting?.joinUrl ?? '',
      attendees: event.attendees.map(recipientText),
    };
  },
});
