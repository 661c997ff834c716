import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { collectPages, type RestClient } from '../../sdk/rest/index.ts';
import { type CalendlyCredential, CalendlyUri, currentUser } from '../client.ts';

export const ListScheduledEventsInput = z.strictObject({
  scope: z
    .enum(['me', 'organization'])
    .default('me')
    .describe('"me" (default): the token’s own meetings; "organization": everyone’s (owners and admins).'),
  userUri: CalendlyUri.optional().describe(
    'Or: this user’s meetings, e.g. "https://api.calendly.com/users/AAAAAAAAAAAAAAAA".',
  ),
  status: z.enum(['active', 'canceled']).optional().describe('Only "active" or only "canceled" meetings.'),
  minStartTime: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only meetings starting at or after this time (ISO), e.g. "2026-12-07T00:00:00Z".'),
  maxStartTime: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only meetings starting before this time (ISO), e.g. "2026-12-14T00:00:00Z".'),
  inviteeEmail: z.email().optional().describe('Only meetings with this invitee, e.g. "ana@example.com".'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('At most this many meetings, soonest first (1–1000, default 100).'),
});

const RawEvent = z
  .object({
    uri: z.string(),
    name: z.string().nullable().optional(),
    status: z.string(),
    start_time: z.string(),
    end_time: z.string(),
    event_type: z.string().nullable().optional(),
    location: z
      .object({
        type: z.string().optional(),
        location: z.string().nullable().optional(),
        join_url: z.string().optional(),
      })
      .loose()
      .nullable()
      .optional(),
    invitees_counter: z.object({ total: z.number(), active: z.number(), limit: z.number() }).optional(),
    event_memberships: z
      .array(
        z
          .object({
            user: z.string().optional(),
            user_email: z.string().optional(),
            user_name: z.string().optional(),
          })
          .loose(),
      )
      .max(100)
      .optional(),
  })
  .loose();

export const ScheduledEvent = z.object({
  uri: z.string().describe('The meeting’s URI.'),
  name: z.string().nullable().describe('The event type’s name, e.g. "30 Minute Meeting".'),
  status: z.string().describe('active or canceled.'),
  startTime: z.string().describe('Start (ISO, UTC).'),
  endTime: z.string().describe('End (ISO, UTC).'),
  eventType: z.string().nullable().describe('The event type’s URI.'),
  location: z.string().nullable().describe('Where: an address, a phone number or the meeting link.'),
  invitees: z.number().int().nullable().describe('How many active invitees it has.'),
  hosts: z.array(z.string()).describe('The hosts’ emails.'),
});

const Page = z.object({
  collection: z.array(z.unknown()),
  pagination: z.object({ next_page_token: z.string().nullable().optional() }).loose(),
});
const PAGE_SIZE = 100;

export function toScheduledEvent(raw: unknown): z.infer<typeof ScheduledEvent> {
  const event = RawEvent.parse(raw);
  return {
    uri: event.uri,
    name: event.name ?? null,
    status: event.status,
    startTime: event.start_time,
    endTime: event.end_time,
    eventType: event.event_type ?? null,
    location: event.location?.join_url ?? event.location?.location ?? null,
    invitees: event.invitees_counter?.active ?? null,
    hosts: (event.event_memberships ?? []).flatMap((member) =>
      member.user_email ? [member.user_email] : [],
    ),
  };
}

export const listScheduledEvents = defineAction<
  typeof ListScheduledEventsInput,
  z.ZodObject<{ events: z.ZodArray<typeof ScheduledEvent>; truncated: z.ZodBoolean }>,
  CalendlyCredential,
  RestClient
>({
  key: 'listScheduledEvents',
  title: 'List Calendly scheduled meetings',
  description:
    'List the meetings booked in Calendly (yours, a colleague’s or the whole organization’s), soonest first, by start time, status or invitee email.',
  effect: 'read',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed(
      'the Calendly meetings of',
      withValue.userUri ?? (withValue.scope === 'organization' ? 'the organization' : 'me'),
    ),
  input: ListScheduledEventsInput,
  output: z.object({
    events: z.array(ScheduledEvent).describe('Meetings, soonest first.'),
    truncated: z.boolean().describe('True when more meetings matched than `limit`.'),
  }),
  async run(input, ctx) {
    // Calendly lists by a user or an organization URI: the token's own come from /users/me.
    const owner = input.userUri
      ? { user: input.userUri }
      : await currentUser(ctx.client, ctx.signal).then((me) =>
          input.scope === 'organization' ? { organization: me.organization } : { user: me.uri },
        );
    const collected = await collectPages(
      ctx.client,
      {
        method: 'GET',
        path: '/scheduled_events',
        query: {
          ...owner,
          status: input.status,
          min_start_time: input.minStartTime,
          max_start_time: input.maxStartTime,
          invitee_email: input.inviteeEmail,
          count: Math.min(PAGE_SIZE, input.limit),
          sort: 'start_time:asc',
        },
      },
      {
        style: 'cursor',
        cursorParam: 'page_token',
        items: (body) => Page.parse(body).collection,
        nextCursor: (body) => Page.parse(body).pagination.next_page_token,
        maxItems: () => input.limit,
        maxPages: 20,
      },
      input,
      ctx.signal,
    );
    return { events: collected.items.map(toScheduledEvent), truncated: collected.truncated };
  },
});
