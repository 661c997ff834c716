import { z } from 'zod';
import { Product, ShopifyId, toProduct } from '../client.ts';
import { rest } from '../kit.ts';

export const getProduct = rest.action({
  key: 'getProduct',
  title: 'Get a Shopify product',
  description:
    'Read one Shopify product by id with its variants, prices, SKUs, stock and inventory item ids (what setInventoryLevel needs).',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ productId: ShopifyId('product', '632910392') }),
  output: Product,
  http: { method: 'GET', path: '/products/{productId}.json' },
  project: (response) => toProduct(z.object({ product: z.unknown() }).parse(response.body).product),
});
