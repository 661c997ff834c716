import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineTrigger, type WebhookDelivery, type WebhookSubscription } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { type CalendlyCredential, CalendlyUri, currentUser, uuidOf } from '../client.ts';

/** How old (or how far in the future) a signed delivery may be: Calendly's recommended 3 minutes. */
export const SIGNATURE_TOLERANCE_SECONDS = 180;

export const InviteeCreatedFilters = z.strictObject({
  scope: z
    .enum(['user', 'organization'])
    .default('user')
    .describe(
      '"user" (default): bookings with the token’s user; "organization": every booking in it (admins).',
    ),
  eventTypes: z
    .array(CalendlyUri)
    .max(50)
    .optional()
    .describe(
      'Only bookings of these event types (their URIs), e.g. ["https://api.calendly.com/event_types/AAAA"].',
    ),
});
export type InviteeCreatedFilters = z.infer<typeof InviteeCreatedFilters>;

export const InviteeCreatedData = z.object({
  inviteeUri: z.string().describe('The invitee’s URI (one per booking).'),
  name: z.string().describe('The invitee’s name.'),
  email: z.string().describe('The invitee’s email.'),
  timezone: z.string().nullable().describe('The invitee’s time zone, e.g. "Europe/Berlin".'),
  eventUri: z.string().describe('The scheduled meeting’s URI.'),
  eventName: z.string().nullable().describe('The event type’s name, e.g. "Intro call".'),
  eventType: z.string().nullable().describe('The event type’s URI.'),
  startTime: z.string().nullable().describe('Start (ISO, UTC).'),
  endTime: z.string().nullable().describe('End (ISO, UTC).'),
  location: z.string().nullable().describe('Where: an address, a phone number or the meeting link.'),
  questions: z
    .array(z.object({ question: z.string(), answer: z.string() }))
    .describe('The booking form’s questions and answers.'),
  rescheduled: z.boolean().describe('Whether this booking replaces a rescheduled one.'),
  cancelUrl: z.string().nullable().describe('The invitee’s link to cancel.'),
  rescheduleUrl: z.string().nullable().describe('The invitee’s link to reschedule.'),
  createdAt: z.string().describe('When it was booked (ISO).'),
});
export type InviteeCreatedData = z.infer<typeof InviteeCreatedData>;

const Delivery = z.object({
  event: z.string(),
  created_at: z.string(),
  payload: z
    .object({
      uri: z.string().max(300),
      name: z.string().max(500),
      email: z.string().max(500),
      timezone: z.string().nullable().optional(),
      event: z.string().max(300),
      created_at: z.string().optional(),
      rescheduled: z.boolean().optional(),
      cancel_url: z.string().nullable().optional(),
      reschedule_url: z.string().nullable().optional(),
      questions_and_answers: z
        .array(z.object({ question: z.string().max(2000), answer: z.string().max(10_000) }).loose())
        .max(100)
        .optional(),
      scheduled_event: z
        .object({
          name: z.string().nullable().optional(),
          event_type: z.string().nullable().optional(),
          start_time: z.string().optional(),
          end_time: z.string().optional(),
          location: z
            .object({ location: z.string().nullable().optional(), join_url: z.string().optional() })
            .loose()
            .nullable()
            .optional(),
        })
        .loose()
        .optional(),
    })
    .loose(),
});

/** Trigger data from a Calendly webhook delivery; undefined for any event but `invitee.created`. */
export function parseCalendlyDelivery(body: unknown): InviteeCreatedData | undefined {
  const delivery = Delivery.safeParse(body);
  if (!delivery.success || delivery.data.event !== 'invitee.created') return undefined;
  const { payload } = delivery.data;
  const meeting = payload.scheduled_event;
  return {
    inviteeUri: payload.uri,
    name: payload.name,
    email: payload.email,
    timezone: payload.timezone ?? null,
    eventUri: payload.event,
    eventName: meeting?.name ?? null,
    eventType: meeting?.event_type ?? null,
    startTime: meeting?.start_time ?? null,
    endTime: meeting?.end_time ?? null,
    location: meeting?.location?.join_url ?? meeting?.location?.location ?? null,
    questions: (payload.questions_and_answers ?? []).map((item) => ({
      question: item.question,
      answer: item.answer,
    })),
    rescheduled: payload.rescheduled ?? false,
    cancelUrl: payload.cancel_url ?? null,
    rescheduleUrl: payload.reschedule_url ?? null,
    createdAt: payload.created_at ?? delivery.data.created_at,
  };
}

/**
 * `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the subscription's
 * signing key; `t` must be within SIGNATURE_TOLERANCE_SECONDS of `nowMs`.
 */
export function verifyCalendlySignature(
  rawBody: Buffer,
  header: string | undefined,
  signingKey: string,
  nowMs: number = Date.now(),
): boolean {
  if (!header || signingKey.length === 0 || header.length > 1000) return false;
  const fields = header.split(',').map((part) => part.trim().split('=', 2));
  const timestamp = fields.find(([key]) => key === 't')?.[1];
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', signingKey).update(`${timestamp}.`).update(rawBody).digest();
  return fields.some(([key, value]) => {
    if (key !== 'v1' || !value || !/^[0-9a-f]{64}$/i.test(value)) return false;
    const given = Buffer.from(value, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function signatureOf(delivery: WebhookDelivery): string | undefined {
  const value = delivery.headers['calendly-webhook-signature'];
  return typeof value === 'string' ? value : undefined;
}

const Subscriptions = z.object({
  collection: z.array(z.object({ uri: z.string(), callback_url: z.string() }).loose()).max(1000),
});
const Created = z.object({ resource: z.object({ uri: z.string() }).loose() });

const webhookSubscription: WebhookSubscription<InviteeCreatedFilters, CalendlyCredential, RestClient> = {
  target: (filters) => filters.scope,
  async create(ctx, filters, hook) {
    const me = await currentUser(ctx.client, ctx.signal);
    const owner = {
      organization: me.organization,
      scope: filters.scope,
      ...(filters.scope === 'user' ? { user: me.uri } : {}),
    };
    // Calendly keeps one subscription per URL and never shows its signing key again: one an earlier attempt made is
    // deleted and made anew with this attempt's secret.
    const existing = Subscriptions.parse(
      (
        await ctx.client.send(
          { method: 'GET', path: '/webhook_subscriptions', query: { ...owner, count: 100 } },
          ctx.signal,
        )
      ).body,
    );
    for (const old of existing.collection.filter((item) => item.callback_url === hook.url)) {
      await deleteSubscription(ctx.client, old.uri, ctx.signal);
    }
    const created = Created.parse(
      (
        await ctx.client.send(
          {
            method: 'POST',
            path: '/webhook_subscriptions',
            json: { url: hook.url, events: ['invitee.created'], ...owner, signing_key: hook.secret },
          },
          ctx.signal,
        )
      ).body,
    );
    return { id: created.resource.uri };
  },
  async delete(ctx, _filters, subscription) {
    await deleteSubscription(ctx.client, subscription.id, ctx.signal);
  },
};

async function deleteSubscription(client: RestClient, uri: string, signal: AbortSignal): Promise<void> {
  try {
    await client.send(
      { method: 'DELETE', path: `/webhook_subscriptions/${encodeURIComponent(uuidOf(uri))}` },
      signal,
    );
  } catch (error) {
    if (!(error instanceof ConnectorError && error.status === 404)) throw error;
  }
}

export const inviteeCreated = defineTrigger({
  key: 'inviteeCreated',
  title: 'Calendly meeting booked',
  description:
    'Starts the workflow each time someone books a Calendly meeting (invitee.created), with the invitee, the time and the booking questions; registers its webhook subscription itself, checked by Calendly-Webhook-Signature.',
  kind: 'webhook',
  with: InviteeCreatedFilters,
  data: InviteeCreatedData,
  senderEvents: ['invitee.created'],
  sample: {
    inviteeUri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA',
    name: 'Ana Lima',
    email: 'ana@example.com',
    timezone: 'Europe/Berlin',
    eventUri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2',
    eventName: 'Intro call',
    eventType: 'https://api.calendly.com/event_types/GBGBDCAADAEDCRZ2',
    startTime: '2026-12-09T14:00:00.000000Z',
    endTime: '2026-12-09T14:30:00.000000Z',
    location: 'https://meet.example.com/abc-defg-hij',
    questions: [{ question: 'What would you like to discuss?', answer: 'Pricing for 20 seats' }],
    rescheduled: false,
    cancelUrl: 'https://calendly.com/cancellations/AAAAAAAAAAAAAAAA',
    rescheduleUrl: 'https://calendly.com/reschedulings/AAAAAAAAAAAAAAAA',
    createdAt: '2026-12-04T09:30:00.000000Z',
  } satisfies InviteeCreatedData,
  verify: (delivery, secret) => verifyCalendlySignature(delivery.rawBody, signatureOf(delivery), secret),
  deliveryId(delivery) {
    const data = parseCalendlyDelivery(delivery.body);
    return data ? `calendly:${data.inviteeUri}` : undefined;
  },
  parse: (delivery) => parseCalendlyDelivery(delivery.body),
  subscription: webhookSubscription,
  matches(filters, data) {
    const parsed = InviteeCreatedData.safeParse(data);
    if (!parsed.success) return false;
    if (!filters.eventTypes) return true;
    return filters.eventTypes.some((uri) => uri === parsed.data.eventType);
  },
});
