import { z } from 'zod';
import { Order, shopifyPagination, toOrder } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 250;

export const listOrders = rest.list({
  key: 'listOrders',
  title: 'List Shopify orders',
  description:
    'List the orders of a Shopify store, newest first, filtered by status, payment, fulfillment or creation date (e.g. the unfulfilled paid orders of today).',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    status: z
      .enum(['open', 'closed', 'cancelled', 'any'])
      .default('any')
      .describe('Order status: open, closed, cancelled or any (default).'),
    financialStatus: z
      .enum([
        'authorized',
        'pending',
        'paid',
        'partially_paid',
        'refunded',
        'voided',
        'partially_refunded',
        'unpaid',
        'any',
      ])
      .optional()
      .describe('Only orders with this payment status, e.g. "paid".'),
    fulfillmentStatus: z
      .enum(['shipped', 'partial', 'unshipped', 'unfulfilled', 'any'])
      .optional()
      .describe('Only orders with this fulfillment status, e.g. "unfulfilled".'),
    createdAfter: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Only orders placed at or after this time, e.g. "2026-12-01T00:00:00Z".'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(2500)
      .default(250)
      .describe('At most this many (1–2500, default 250); pages of 250 follow the Link header.'),
  }),
  output: z.object({
    orders: z.array(Order).describe('Orders, newest first.'),
    truncated: z.boolean().describe('True when more matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/orders.json',
    query: (input) => ({
      status: input.status,
      financial_status: input.financialStatus,
      fulfillment_status: input.fulfillmentStatus,
      created_at_min: input.createdAfter,
      limit: Math.min(PAGE_SIZE, input.limit),
    }),
  },
  paginate: shopifyPagination('orders', (input) => input.limit),
  project: (collected) => ({ orders: collected.items.map(toOrder), truncated: collected.truncated }),
});
