import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { fillPath, type RestClient } from '../../sdk/rest/index.ts';
import { type ShopifyCredential, ShopifyId } from '../client.ts';

export const CreateFulfillmentInput = z.strictObject({
  orderId: ShopifyId('order', '450789469'),
  trackingNumber: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('The carrier’s tracking number, e.g. "1Z999AA10123456784".'),
  trackingCompany: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('The carrier as Shopify names it, e.g. "UPS", "DHL Express".'),
  trackingUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('A tracking page, e.g. "https://www.ups.com/track?tracknum=1Z999AA10123456784".'),
  notifyCustomer: z
    .boolean()
    .default(true)
    .describe('Email the customer the shipping confirmation (default true).'),
  lineItems: z
    .array(
      z.strictObject({
        lineItemId: ShopifyId('order line item', '466157049 (lineItems[].id of getOrder)'),
        quantity: z.number().int().min(1).describe('How many of it ship, e.g. 1.'),
      }),
    )
    .max(250)
    .optional()
    .describe('Ship only these line items and quantities; default everything still open.'),
});
type CreateFulfillmentInput = z.output<typeof CreateFulfillmentInput>;

const FulfillmentOrders = z.object({
  fulfillment_orders: z
    .array(
      z.object({
        id: z.number(),
        status: z.string(),
        line_items: z.array(
          z.object({ id: z.number(), line_item_id: z.number(), fulfillable_quantity: z.number().int() }),
        ),
      }),
    )
    .max(250),
});

const Fulfillment = z.object({
  fulfillment: z.object({
    id: z.number(),
    order_id: z.number(),
    status: z.string(),
    tracking_number: z.string().nullable().optional(),
    tracking_url: z.string().nullable().optional(),
    tracking_company: z.string().nullable().optional(),
  }),
});

const FulfillmentOutput = z.object({
  fulfillmentId: z.string().describe('The new fulfillment’s id.'),
  orderId: z.string().describe('The order.'),
  status: z.string().describe('success, pending, open, failure, cancelled or error.'),
  trackingNumber: z.string().nullable().describe('The tracking number, or null.'),
  trackingUrl: z.string().nullable().describe('The tracking URL, or null.'),
});

const OPEN = new Set(['open', 'in_progress']);

type Wanted = Map<string, number>;

/** The fulfillment orders' lines to ship: all fulfillable ones, or the wanted line items' quantities. */
function linesToShip(
  orders: z.infer<typeof FulfillmentOrders>['fulfillment_orders'],
  wanted: Wanted | undefined,
) {
  return orders
    .filter((order) => OPEN.has(order.status))
    .map((order) => ({
      fulfillment_order_id: order.id,
      fulfillment_order_line_items: order.line_items.flatMap((line) => {
        const quantity = wanted
          ? Math.min(wanted.get(String(line.line_item_id)) ?? 0, line.fulfillable_quantity)
          : line.fulfillable_quantity;
        if (quantity <= 0) return [];
        if (wanted)
          wanted.set(String(line.line_item_id), (wanted.get(String(line.line_item_id)) ?? 0) - quantity);
        return [{ id: line.id, quantity }];
      }),
    }))
    .filter((order) => order.fulfillment_order_line_items.length > 0);
}

/**
 * Fulfillments go through the order's fulfillment orders (`GET orders/{id}/fulfillment_orders.json`, then
 * `POST fulfillments.json` naming their open lines). A retry reads them again, so lines already shipped are not
 * shipped twice; a retry after a lost answer with nothing left open says so.
 */
export const createFulfillment = defineAction<
  typeof CreateFulfillmentInput,
  typeof FulfillmentOutput,
  ShopifyCredential,
  RestClient
>({
  key: 'createFulfillment',
  title: 'Mark a Shopify order as shipped',
  description:
    'Fulfill a Shopify order (all its open items, or some line items) with a tracking number and carrier, and optionally email the customer the shipping confirmation.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) => describeNamed('the Shopify order', withValue.orderId),
  input: CreateFulfillmentInput,
  output: FulfillmentOutput,
  async run(input: CreateFulfillmentInput, ctx) {
    const listed = await ctx.client.send(
      {
        method: 'GET',
        path: fillPath('/orders/{orderId}/fulfillment_orders.json', { orderId: input.orderId }),
      },
      ctx.signal,
    );
    const wanted = input.lineItems
      ? new Map(input.lineItems.map((item) => [item.lineItemId, item.quantity]))
      : undefined;
    const lines = linesToShip(FulfillmentOrders.parse(listed.body).fulfillment_orders, wanted);
    if (lines.length === 0) {
      throw new ConnectorError({
        code: 'E_REQUEST',
        message: `shopify: order ${input.orderId} has nothing left to fulfill${input.lineItems ? ' among the given line items' : ''}.`,
        retryable: false,
        hint: 'The order (or those line items) was already fulfilled, cancelled, or is on hold; check it with getOrder.',
      });
    }
    const tracking =
      input.trackingNumber || input.trackingUrl || input.trackingCompany
        ? { number: input.trackingNumber, url: input.trackingUrl, company: input.trackingCompany }
        : undefined;
    const created = await ctx.client.send(
      {
        method: 'POST',
        path: '/fulfillments.json',
        json: {
          fulfillment: {
            line_items_by_fulfillment_order: lines,
            notify_customer: input.notifyCustomer,
            ...(tracking ? { tracking_info: tracking } : {}),
          },
        },
      },
      ctx.signal,
    );
    const fulfillment = Fulfillment.parse(created.body).fulfillment;
    return {
      fulfillmentId: String(fulfillment.id),
      orderId: String(fulfillment.order_id),
      status: fulfillment.status,
      trackingNumber: fulfillment.tracking_number ?? null,
      trackingUrl: fulfillment.tracking_url ?? null,
    };
  },
});
