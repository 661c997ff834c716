import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { PageLimit, Product, ProductId, toProduct, totalsOf } from '../client.ts';
import { rest } from '../kit.ts';

const PAGE_SIZE = 100;
const Price = z
  .string()
  .regex(/^\d{1,9}(\.\d{1,4})?$/, 'a decimal price, e.g. "19.90"')
  .describe('A price as a decimal string, e.g. "19.90".');

export const getProduct = rest.action({
  key: 'getProduct',
  title: 'Get a WooCommerce product',
  description: 'Read one product of a WooCommerce shop: price, sale price, stock and status.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({ productId: ProductId }),
  output: Product,
  http: { method: 'GET', path: '/products/{productId}' },
  project: (response) => toProduct(response.body),
});

export const listProducts = rest.list({
  key: 'listProducts',
  title: 'List WooCommerce products',
  description: 'Find products of a WooCommerce shop by words, SKU, stock status or status.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    search: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Words in the name or description, e.g. "hoodie".'),
    sku: z.string().min(1).max(100).optional().describe('Only the product with this SKU, e.g. "HD-RED-M".'),
    stockStatus: z
      .enum(['instock', 'outofstock', 'onbackorder'])
      .optional()
      .describe('Only products with this stock status, e.g. "outofstock".'),
    status: z
      .enum(['any', 'draft', 'pending', 'private', 'publish'])
      .optional()
      .describe('Only products with this status, e.g. "publish" (default any).'),
    limit: PageLimit,
  }),
  output: z.object({
    products: z.array(Product).describe('Products, newest first.'),
    total: z.number().int().nullable().describe('How many products match in all (X-WP-Total).'),
    truncated: z.boolean().describe('True when more products matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/products',
    query: (input) => ({
      search: input.search,
      sku: input.sku,
      stock_status: input.stockStatus,
      status: input.status,
      per_page: Math.min(PAGE_SIZE, input.limit),
    }),
  },
  paginate: {
    style: 'link',
    items: (body) => z.array(z.unknown()).max(PAGE_SIZE).parse(body),
    maxItems: (input) => input.limit,
  },
  project: (collected) => ({
    products: collected.items.map(toProduct),
    total: totalsOf(collected.last.headers).total,
    truncated: collected.truncated,
  }),
});

export const updateProduct = rest.action({
  key: 'updateProduct',
  title: 'Update a WooCommerce product',
  description:
    'Change a WooCommerce product’s price, sale price, stock quantity, stock status, name or status (publish, draft).',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the WooCommerce product', withValue.productId),
  input: z.strictObject({
    productId: ProductId,
    name: z.string().min(1).max(500).optional().describe('A new name, e.g. "Hoodie – red".'),
    regularPrice: Price.optional(),
    salePrice: Price.or(z.literal('')).optional().describe('A sale price, e.g. "14.90"; "" ends the sale.'),
    stockQuantity: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .optional()
      .describe('Units in stock (turns on stock management), e.g. 25.'),
    stockStatus: z
      .enum(['instock', 'outofstock', 'onbackorder'])
      .optional()
      .describe('Stock status when stock is not managed, e.g. "outofstock".'),
    status: z
      .enum(['draft', 'pending', 'private', 'publish'])
      .optional()
      .describe('Product status, e.g. "draft" to hide it.'),
  }),
  output: Product,
  http: {
    method: 'PUT',
    path: '/products/{productId}',
    json: (input) => ({
      name: input.name,
      regular_price: input.regularPrice,
      sale_price: input.salePrice,
      ...(input.stockQuantity === undefined
        ? {}
        : { manage_stock: true, stock_quantity: input.stockQuantity }),
      stock_status: input.stockStatus,
      status: input.status,
    }),
  },
  project: (response) => toProduct(response.body),
});
