import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import {
  defineTrigger,
  type SubscriptionContext,
  type WebhookDelivery,
  type WebhookSubscription,
} from '../../sdk/define.ts';
import { fillPath, type RestClient } from '../../sdk/rest/index.ts';
import { STRIPE_VERSION, type StripeCredential, StripeList } from '../client.ts';
import { verifyStripeSignature } from '../webhook.ts';

const EventType = z
  .string()
  .regex(/^(\*|[a-z_]+(\.[a-z_]+){1,4})$/, 'a Stripe event type such as "invoice.paid", or "*"');

export const StripeEventFilters = z.strictObject({
  events: z
    .array(EventType)
    .min(1)
    .max(100)
    .default(['*'])
    .describe(
      'The event types to start on, e.g. ["checkout.session.completed","invoice.paid"]; "*" for every event (default).',
    ),
});
export type StripeEventFilters = z.infer<typeof StripeEventFilters>;

export const StripeEventData = z.object({
  id: z.string().describe('The event id, evt_….'),
  type: z.string().describe('The event type, e.g. "invoice.paid".'),
  created: z.string().describe('When it happened (ISO).'),
  livemode: z.boolean().describe('False for test-mode events.'),
  objectId: z.string().nullable().describe('The id of the object it is about (in_…, cs_…, cus_…), or null.'),
  object: z
    .record(z.string(), z.unknown())
    .describe('The object as Stripe sent it (data.object): an invoice, a checkout session, a customer…'),
  previousAttributes: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('For *.updated events: the fields that changed, with their old values; else null.'),
});
export type StripeEventData = z.infer<typeof StripeEventData>;

const RawEvent = z.object({
  id: z.string().max(255),
  object: z.literal('event'),
  type: z.string().max(255),
  created: z.number().int(),
  livemode: z.boolean(),
  data: z.object({
    object: z.record(z.string(), z.unknown()),
    previous_attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});

function header(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

export function parseStripeEvent(body: unknown): StripeEventData | undefined {
  const event = RawEvent.safeParse(body);
  if (!event.success) return undefined;
  const { object, previous_attributes: previous } = event.data.data;
  return {
    id: event.data.id,
    type: event.data.type,
    created: new Date(event.data.created * 1000).toISOString(),
    livemode: event.data.livemode,
    objectId: typeof object.id === 'string' ? object.id : null,
    object,
    previousAttributes: previous ?? null,
  };
}

const Endpoint = z.object({ id: z.string(), url: z.string(), secret: z.string().optional() });
type Context = SubscriptionContext<StripeCredential, RestClient>;

/** Every webhook endpoint of the account with `url` (an earlier attempt's whose answer was lost). */
async function endpointsFor(ctx: Context, url: string): Promise<string[]> {
  const found: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10; page++) {
    const response = await ctx.client.send(
      { method: 'GET', path: '/webhook_endpoints', query: { limit: 100, starting_after: after } },
      ctx.signal,
    );
    const list = StripeList.parse(response.body);
    for (const raw of list.data) {
      const endpoint = Endpoint.safeParse(raw);
      if (endpoint.success && endpoint.data.url === url) found.push(endpoint.data.id);
    }
    if (!list.has_more) break;
    after = list.data.at(-1)?.id;
  }
  return found;
}

async function deleteEndpoint(ctx: Context, id: string): Promise<void> {
  try {
    await ctx.client.send(
      { method: 'DELETE', path: fillPath('/webhook_endpoints/{id}', { id }) },
      ctx.signal,
    );
  } catch (error) {
    // Already gone: deleted in the Dashboard, or by an earlier attempt whose answer was lost.
    if (error instanceof ConnectorError && error.status === 404) return;
    throw error;
  }
}

/**
 * A webhook endpoint (`POST /v1/webhook_endpoints`) for the hook URL and the chosen events. Stripe makes the signing
 * secret and shows it only in the create answer, so an endpoint an earlier attempt left (its answer lost) is deleted
 * first: one endpoint remains, and its secret is the one stored.
 */
const endpointSubscription: WebhookSubscription<StripeEventFilters, StripeCredential, RestClient> = {
  target: (filters) => [...filters.events].sort(),
  async create(ctx, filters, hook) {
    for (const id of await endpointsFor(ctx, hook.url)) await deleteEndpoint(ctx, id);
    const form: Record<string, string> = {
      url: hook.url,
      api_version: STRIPE_VERSION,
      description: 'VelocityMesh workflow trigger',
    };
    filters.events.forEach((event, index) => {
      form[`enabled_events[${index}]`] = event;
    });
    const response = await ctx.client.send({ method: 'POST', path: '/webhook_endpoints', form }, ctx.signal);
    const endpoint = Endpoint.parse(response.body);
    if (!endpoint.secret) {
      throw new ConnectorError({
        code: 'E_UPSTREAM',
        message: 'stripe: the new webhook endpoint came back without its signing secret.',
        retryable: true,
        hint: 'Check the stripe base URL: it must be the Stripe API.',
      });
    }
    return { id: endpoint.id, secret: endpoint.secret };
  },
  delete: (ctx, _filters, subscription) => deleteEndpoint(ctx, subscription.id),
};

export const event = defineTrigger({
  key: 'event',
  title: 'Stripe event',
  description:
    'Starts the workflow on Stripe events (a payment succeeded, an invoice was paid, a checkout completed, a subscription changed…); registers its own webhook endpoint with the trigger credential and checks the Stripe-Signature of each delivery.',
  kind: 'webhook',
  senderEvents: ['the event types in trigger.with.events'],
  with: StripeEventFilters,
  data: StripeEventData,
  sample: {
    id: 'evt_1QXYZabcdEFGhijk',
    type: 'invoice.paid',
    created: '2026-12-04T09:30:00.000Z',
    livemode: false,
    objectId: 'in_1QXYZabcdEFGhijk',
    object: {
      id: 'in_1QXYZabcdEFGhijk',
      object: 'invoice',
      customer: 'cus_R2d2C3po',
      amount_paid: 36000,
      currency: 'eur',
    },
    previousAttributes: null,
  } satisfies StripeEventData,
  verify: (delivery, secret) =>
    verifyStripeSignature(delivery.rawBody, header(delivery, 'stripe-signature'), secret),
  deliveryId: (delivery) => parseStripeEvent(delivery.body)?.id,
  parse: (delivery) => parseStripeEvent(delivery.body),
  subscription: endpointSubscription,
  matches(filters, data) {
    const parsed = StripeEventData.safeParse(data);
    if (!parsed.success) return false;
    return filters.events.includes('*') || filters.events.includes(parsed.data.type);
  },
});
