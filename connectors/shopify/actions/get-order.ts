import { z } from 'zod';
import { Order, ShopifyId, toOrder } from '../client.ts';
import { rest } from '../kit.ts';

export const getOrder = rest.action({
  key: 'getOrder',
  title: 'Get a Shopify order',
  description:
    'Read one Shopify order by id: customer, line items, totals, payment and fulfillment status, shipping address. Use it to answer "where is my order" or to fetch what a trigger only named.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ orderId: ShopifyId('order', '450789469') }),
  output: Order,
  http: { method: 'GET', path: '/orders/{orderId}.json' },
  project: (response) => toOrder(z.object({ order: z.unknown() }).parse(response.body).order),
});
