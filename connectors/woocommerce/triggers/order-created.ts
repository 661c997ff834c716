import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import type { WebhookDelivery, WebhookSubscription, WebhookTriggerDefinition } from '../../sdk/define.ts';
import type { RestClient } from '../../sdk/rest/index.ts';
import { Order, OrderStatus, toOrder, type WoocommerceCredential } from '../client.ts';

const TOPIC = 'order.created';
/** WooCommerce's first request to a new webhook: `webhook_id=<id>`, form-encoded and unsigned. */
const PING = /^webhook_id=\d{1,20}$/;

function header(delivery: WebhookDelivery, name: string): string | undefined {
  const value = delivery.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** X-WC-Webhook-Signature: base64 of HMAC-SHA256 over the raw body with the webhook's secret, compared in constant time. */
export function verifyWoocommerceSignature(
  rawBody: Buffer,
  signature: string | undefined,
  secret: string,
): boolean {
  if (!signature || !secret || !/^[A-Za-z0-9+/]{43}=$/.test(signature.trim())) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(signature.trim(), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Signs a body as WooCommerce does (tests, replays). */
export function signWoocommercePayload(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

export function isWoocommercePing(delivery: WebhookDelivery): boolean {
  return (
    header(delivery, 'x-wc-webhook-signature') === undefined && PING.test(delivery.rawBody.toString('latin1'))
  );
}

export const OrderCreatedFilters = z.strictObject({
  statuses: z
    .array(OrderStatus)
    .min(1)
    .max(8)
    .optional()
    .describe('Only orders created with one of these statuses, e.g. ["processing"] (paid); default any.'),
  minTotal: z.number().min(0).optional().describe('Only orders with at least this total, e.g. 100.'),
});
export type OrderCreatedFilters = z.infer<typeof OrderCreatedFilters>;

export const OrderCreatedData = Order.extend({
  shop: z.string().nullable().describe('The shop that sent it (X-WC-Webhook-Source).'),
});
export type OrderCreatedData = z.infer<typeof OrderCreatedData>;

const Webhook = z.object({ id: z.number().int(), delivery_url: z.string(), topic: z.string() }).loose();

/**
 * Registers an `order.created` webhook through wc/v3/webhooks with our secret; a webhook an earlier attempt made
 * for the same delivery URL is reused and given the new secret. WooCommerce pings the URL when it is created.
 */
const orderWebhook: WebhookSubscription<OrderCreatedFilters, WoocommerceCredential, RestClient> = {
  target: () => null,
  async create(ctx, _filters, hook) {
    const listed = await ctx.client.send(
      { method: 'GET', path: '/webhooks', query: { per_page: 100, search: 'VelocityMesh' } },
      ctx.signal,
    );
    const existing = z
      .array(Webhook)
      .max(100)
      .parse(listed.body)
      .find((webhook) => webhook.delivery_url === hook.url && webhook.topic === TOPIC);
    const body = { secret: hook.secret, status: 'active' };
    if (existing) {
      await ctx.client.send({ method: 'PUT', path: `/webhooks/${existing.id}`, json: body }, ctx.signal);
      return { id: String(existing.id) };
    }
    const created = await ctx.client.send(
      {
        method: 'POST',
        path: '/webhooks',
        json: { name: 'VelocityMesh: order created', topic: TOPIC, delivery_url: hook.url, ...body },
      },
      ctx.signal,
    );
    return { id: String(Webhook.parse(created.body).id) };
  },
  async delete(ctx, _filters, subscription) {
    if (!/^\d{1,20}$/.test(subscription.id)) return;
    try {
      await ctx.client.send(
        { method: 'DELETE', path: `/webhooks/${subscription.id}`, query: { force: true } },
        ctx.signal,
      );
    } catch (error) {
      if (error instanceof ConnectorError && error.status === 404) return;
      throw error;
    }
  },
};

export const orderCreated: WebhookTriggerDefinition<typeof OrderCreatedFilters, typeof OrderCreatedData> = {
  key: 'orderCreated',
  title: 'WooCommerce order created',
  description:
    'Starts the workflow for each new order in a WooCommerce shop (its order.created webhook, checked by X-WC-Webhook-Signature); with a trigger credential it registers the webhook itself.',
  kind: 'webhook',
  with: OrderCreatedFilters,
  data: OrderCreatedData,
  senderEvents: ['Order created'],
  sample: {
    id: 1042,
    number: '1042',
    status: 'processing',
    currency: 'EUR',
    total: '49.90',
    totalTax: '7.97',
    createdAt: '2026-12-04T09:30:00Z',
    modifiedAt: '2026-12-04T09:30:02Z',
    customerId: 17,
    customerNote: '',
    email: 'ana@example.com',
    billingName: 'Ana Lima',
    paymentMethod: 'Credit card',
    shippingCity: 'Lisbon',
    shippingCountry: 'PT',
    lineItems: [
      {
        id: 1,
        name: 'Hoodie – red',
        productId: 799,
        variationId: 0,
        quantity: 1,
        sku: 'HD-RED-M',
        total: '41.93',
      },
    ],
    shop: 'https://shop.example.com/',
  } satisfies OrderCreatedData,
  verify: (delivery, secret) =>
    isWoocommercePing(delivery) ||
    verifyWoocommerceSignature(delivery.rawBody, header(delivery, 'x-wc-webhook-signature'), secret),
  deliveryId(delivery) {
    const id = z.object({ id: z.number().int() }).safeParse(delivery.body);
    return id.success
      ? `woocommerce-order-${id.data.id}-created`
      : header(delivery, 'x-wc-webhook-delivery-id');
  },
  parse(delivery) {
    if (isWoocommercePing(delivery) || header(delivery, 'x-wc-webhook-topic') !== TOPIC) return undefined;
    const order = z.object({ id: z.number().int() }).loose().safeParse(delivery.body);
    if (!order.success) return undefined;
    try {
      return { ...toOrder(order.data), shop: header(delivery, 'x-wc-webhook-source') ?? null };
    } catch {
      return undefined;
    }
  },
  subscription: orderWebhook,
  matches(filters, data) {
    const parsed = OrderCreatedData.safeParse(data);
    if (!parsed.success) return false;
    if (filters.statuses && !filters.statuses.some((status) => status === parsed.data.status)) return false;
    if (filters.minTotal !== undefined && Number(parsed.data.total) < filters.minTotal) return false;
    return true;
  },
};
