import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Order, OrderId, OrderStatus, PageLimit, toOrder, totalsOf } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 100;

export const getOrder = rest.action({
  key: 'getOrder',
  title: 'Get a WooCommerce order',
  description: 'Read one order of a WooCommerce shop: status, totals, customer, addresses and line items.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ orderId: OrderId }),
  output: Order,
  http: { method: 'GET', path: '/orders/{orderId}' },
  project: (response) => toOrder(response.body),
});

export const listOrders = rest.list({
  key: 'listOrders',
  title: 'List WooCommerce orders',
  description:
    'Find orders of a WooCommerce shop, newest first: by status, customer, a search term or the date they were placed.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    status: z.array(OrderStatus).max(8).optional().describe('Only these statuses, e.g. ["processing"].'),
    customerId: z.number().int().positive().optional().describe('Only this customer’s orders, e.g. 17.'),
    search: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Words in the order (a name, an email), e.g. "ana@example.com".'),
    after: z.iso
      .datetime({ offset: true, local: true })
      .optional()
      .describe('Only orders placed after this time, e.g. "2026-12-01T00:00:00".'),
    limit: PageLimit,
  }),
  output: z.object({
    orders: z.array(Order).describe('Orders, newest first.'),
    total: z.number().int().nullable().describe('How many orders match in all (X-WP-Total).'),
    truncated: z.boolean().describe('True when more orders matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/orders',
    query: (input) => ({
      status: input.status?.join(','),
      customer: input.customerId,
      search: input.search,
      after: input.after,
      per_page: Math.min(PAGE_SIZE, input.limit),
      orderby: 'date',
      order: 'desc',
    }),
  },
  // WooCommerce gives X-WP-Total / X-WP-TotalPages and a `Link: rel="next"` up to the last page.
  paginate: {
    style: 'link',
    items: (body) => z.array(z.unknown()).max(PAGE_SIZE).parse(body),
    maxItems: (input) => input.limit,
  },
  project: (collected) => ({
    orders: collected.items.map(toOrder),
    total: totalsOf(collected.last.headers).total,
    truncated: collected.truncated,
  }),
});

export const updateOrder = rest.action({
  key: 'updateOrder',
  title: 'Update a WooCommerce order',
  description:
    'Change a WooCommerce order: its status (e.g. mark it completed, which emails the customer), the customer note or meta data.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the WooCommerce order', withValue.orderId, { status: withValue.status }),
  input: z.strictObject({
    orderId: OrderId,
    status: OrderStatus.optional(),
    customerNote: z
      .string()
      .max(5000)
      .optional()
      .describe('The note on the order, e.g. "Leave at the door".'),
    metaData: z
      .array(
        z.strictObject({
          key: z.string().min(1).max(255).describe('Meta key, e.g. "tracking_number".'),
          value: z.string().max(10_000).describe('Meta value, e.g. "1Z999AA10123456784".'),
        }),
      )
      .max(50)
      .optional()
      .describe('Custom fields to set, e.g. [{ "key": "tracking_number", "value": "1Z999" }].'),
  }),
  output: Order,
  http: {
    method: 'PUT',
    path: '/orders/{orderId}',
    json: (input) => ({
      status: input.status,
      customer_note: input.customerNote,
      meta_data: input.metaData,
    }),
  },
  project: (response) => toOrder(response.body),
});
