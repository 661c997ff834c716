import { z } from 'zod';
import { Product, shopifyPagination, toProduct } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 250;

export const listProducts = rest.list({
  key: 'listProducts',
  title: 'List Shopify products',
  description:
    'List the products of a Shopify store with their variants and stock, filtered by status, vendor, type or title (e.g. to find low-stock items or a product by name).',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    status: z
      .enum(['active', 'draft', 'archived'])
      .optional()
      .describe('Only products with this status, e.g. "active".'),
    vendor: z.string().min(1).max(255).optional().describe('Only products of this vendor, e.g. "Acme".'),
    productType: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Only products of this type, e.g. "Jackets".'),
    title: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Only products whose title contains this, e.g. "winter".'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(2500)
      .default(250)
      .describe('At most this many (1–2500, default 250); pages of 250 follow the Link header.'),
  }),
  output: z.object({
    products: z.array(Product).describe('Products in Shopify’s order.'),
    truncated: z.boolean().describe('True when more matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/products.json',
    query: (input) => ({
      status: input.status,
      vendor: input.vendor,
      product_type: input.productType,
      title: input.title,
      limit: Math.min(PAGE_SIZE, input.limit),
    }),
  },
  paginate: shopifyPagination('products', (input) => input.limit),
  project: (collected) => ({ products: collected.items.map(toProduct), truncated: collected.truncated }),
});
