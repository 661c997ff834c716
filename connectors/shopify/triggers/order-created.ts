import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import {
  defineTrigger,
  type SubscriptionContext,
  type WebhookDelivery,
  type WebhookSubscription,
} from '../../sdk/define.ts';
import { fillPath, type RestClient } from '../../sdk/rest/index.ts';
import { Order, type ShopifyCredential, toOrder } from '../client.ts';
import { verifyShopifyHmac } from '../webhook.ts';

const TOPIC = 'orders/create';

export const OrderCreatedFilters = z.strictObject({
  financialStatus: z
    .array(
      z.enum(['pending', 'authorized', 'partially_paid', 'paid', 'partially_refunded', 'refunded', 'voided']),
    )
    .max(7)
    .optional()
    .describe('Only orders with one of these payment statuses, e.g. ["paid"]. Default: every new order.'),
  tags: z
    .array(z.string().min(1).max(255))
    .max(50)
    .optional()
    .describe('Only orders with at least one of these tags, e.g. ["wholesale"].'),
});
export type OrderCreatedFilters = z.infer<typeof OrderCreatedFilters>;

export const OrderCreatedData = z.object({
  shop: z.string().nullable().describe('The shop’s myshopify.com domain the order is from.'),
  order: Order.describe('The new order.'),
});
export type OrderCreatedData = z.infer<typeof OrderCreatedData>;

function header(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

const Webhook = z.object({ id: z.number(), address: z.string(), topic: z.string() });
type Context = SubscriptionContext<ShopifyCredential, RestClient>;

function signingSecretOf(ctx: Context): string {
  const secret = ctx.credential?.clientSecret;
  if (secret) return secret;
  throw new ConnectorError({
    code: 'E_CREDENTIAL',
    message:
      'shopify.orderCreated: Shopify signs the webhooks an app registers with the app’s client secret, and the trigger credential has no clientSecret.',
    retryable: false,
    hint: 'Store the credential again with "clientSecret" (the app’s API secret key, from the app’s API credentials page), or remove trigger.credential and add the webhook under Settings → Notifications → Webhooks by hand.',
  });
}

async function existingWebhook(ctx: Context, url: string): Promise<string | undefined> {
  const response = await ctx.client.send(
    { method: 'GET', path: '/webhooks.json', query: { address: url, topic: TOPIC, limit: 250 } },
    ctx.signal,
  );
  const { webhooks } = z.object({ webhooks: z.array(Webhook).max(250) }).parse(response.body);
  const found = webhooks.find((webhook) => webhook.address === url && webhook.topic === TOPIC);
  return found ? String(found.id) : undefined;
}

/**
 * An `orders/create` webhook of the app (`POST webhooks.json`) to the hook URL, signed by Shopify with the app's
 * client secret, which becomes the workflow's hook secret. One an earlier attempt made is found and kept.
 */
const webhookSubscription: WebhookSubscription<OrderCreatedFilters, ShopifyCredential, RestClient> = {
  target: () => null,
  async create(ctx, _filters, hook) {
    const secret = signingSecretOf(ctx);
    const existing = await existingWebhook(ctx, hook.url);
    if (existing) return { id: existing, secret };
    try {
      const response = await ctx.client.send(
        {
          method: 'POST',
          path: '/webhooks.json',
          json: { webhook: { topic: TOPIC, address: hook.url, format: 'json' } },
        },
        ctx.signal,
      );
      return { id: String(z.object({ webhook: Webhook }).parse(response.body).webhook.id), secret };
    } catch (error) {
      // 422 "address for this topic has already been taken": another attempt made it since we looked.
      if (!(error instanceof ConnectorError) || error.status !== 422) throw error;
      const raced = await existingWebhook(ctx, hook.url);
      if (!raced) throw error;
      return { id: raced, secret };
    }
  },
  async delete(ctx, _filters, subscription) {
    try {
      await ctx.client.send(
        { method: 'DELETE', path: fillPath('/webhooks/{id}.json', { id: subscription.id }) },
        ctx.signal,
      );
    } catch (error) {
      if (error instanceof ConnectorError && error.status === 404) return;
      throw error;
    }
  },
};

export const orderCreated = defineTrigger({
  key: 'orderCreated',
  title: 'Shopify order created',
  description:
    'Starts the workflow for each new order in a Shopify store (orders/create webhook, registered by itself with the trigger credential; X-Shopify-Hmac-Sha256 checked).',
  kind: 'webhook',
  senderEvents: ['Order creation'],
  with: OrderCreatedFilters,
  data: OrderCreatedData,
  sample: {
    shop: 'acme.myshopify.com',
    order: {
      id: '450789469',
      name: '#1001',
      email: 'ana@example.com',
      createdAt: '2026-12-04T10:30:00+01:00',
      financialStatus: 'paid',
      fulfillmentStatus: null,
      currency: 'EUR',
      totalPrice: '59.90',
      tags: [],
      note: null,
      customer: { id: '207119551', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lima' },
      lineItems: [
        {
          id: '466157049',
          productId: '632910392',
          variantId: '39072856',
          title: 'Winter jacket',
          sku: 'WJ-M',
          quantity: 1,
          price: '59.90',
        },
      ],
      shippingAddress: {
        name: 'Ana Lima',
        address1: 'Hauptstr. 1',
        city: 'Berlin',
        zip: '10115',
        countryCode: 'DE',
      },
    },
  } satisfies OrderCreatedData,
  verify: (delivery, secret) =>
    verifyShopifyHmac(delivery.rawBody, header(delivery, 'x-shopify-hmac-sha256'), secret),
  deliveryId: (delivery) =>
    header(delivery, 'x-shopify-webhook-id') ?? header(delivery, 'x-shopify-event-id'),
  parse(delivery) {
    const topic = header(delivery, 'x-shopify-topic');
    if (topic !== undefined && topic !== TOPIC) return undefined;
    try {
      return { shop: header(delivery, 'x-shopify-shop-domain') ?? null, order: toOrder(delivery.body) };
    } catch {
      return undefined;
    }
  },
  subscription: webhookSubscription,
  matches(filters, data) {
    const parsed = OrderCreatedData.safeParse(data);
    if (!parsed.success) return false;
    const { order } = parsed.data;
    if (
      filters.financialStatus &&
      !filters.financialStatus.some((status) => status === order.financialStatus)
    )
      return false;
    if (filters.tags && !filters.tags.some((tag) => order.tags.includes(tag))) return false;
    return true;
  },
});
