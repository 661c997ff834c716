import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { basicStyle } from '../sdk/auth/header-styles.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient } from '../sdk/rest/index.ts';
import { wpVendorError } from '../wordpress/rest-error.ts';
import { SiteUrl, siteApiUrl } from '../wordpress/site-url.ts';

export const WoocommerceCredential = z.strictObject({
  siteUrl: SiteUrl.describe(
    'The shop’s address, e.g. "https://shop.example.com" (https: keys go as basic auth).',
  ),
  consumerKey: z
    .string()
    .regex(/^ck_[0-9a-f]{40}$/, 'a consumer key: ck_ and 40 hex characters')
    .describe('The REST API consumer key (ck_…).'),
  consumerSecret: z
    .string()
    .regex(/^cs_[0-9a-f]{40}$/, 'a consumer secret: cs_ and 40 hex characters')
    .describe('The REST API consumer secret (cs_…).'),
});
export type WoocommerceCredential = z.infer<typeof WoocommerceCredential>;

const CODE_HINTS: Readonly<Record<string, string>> = {
  woocommerce_rest_authentication_error:
    'WooCommerce refused the key (revoked, or the secret is wrong): create a new key in WooCommerce → Settings → Advanced → REST API and store it with `vmesh credentials set NAME --type woocommerce`.',
  woocommerce_rest_cannot_view:
    'The key cannot read this: give it Read (or Read/Write) permission, and its user the Shop manager role.',
  woocommerce_rest_cannot_edit: 'The key is read-only: create a key with Read/Write permission.',
  woocommerce_rest_cannot_create: 'The key is read-only: create a key with Read/Write permission.',
  woocommerce_rest_shop_order_invalid_id: 'Check the order id: no order has it (it may be in the trash).',
  woocommerce_rest_product_invalid_id: 'Check the product id: no product has it.',
  woocommerce_rest_invalid_id: 'Check the id: it does not exist.',
  rest_invalid_param: 'Change the parameter the message names (an order status must be one the shop knows).',
  rest_no_route:
    'The shop has no REST route here: check the site address, that WooCommerce is active and permalinks are not "Plain".',
};

/** WooCommerce REST API v3 with a consumer key and secret as basic auth (the documented way over https). */
export const woocommerceApi: RestApi<WoocommerceCredential> = {
  connector: 'woocommerce',
  baseUrl: 'https://woocommerce.invalid/wp-json/wc/v3',
  auth: (credential) =>
    bindAuth(basicStyle, { username: credential.consumerKey, password: credential.consumerSecret }),
  vendorError: (body) => wpVendorError(body, CODE_HINTS),
  hints: {
    401: 'WooCommerce refused the key: create a new one in WooCommerce → Settings → Advanced → REST API and store it with `vmesh credentials set NAME --type woocommerce`.',
    403: 'The key lacks the permission: it needs Read/Write to change orders and products.',
    404: 'Check the id, and the shop address (the API lives under /wp-json/wc/v3).',
  },
};

export function createWoocommerceClient(options: {
  credential: WoocommerceCredential | undefined;
  env: ConnectorEnvironment;
}): RestClient {
  const baseUrl = options.credential
    ? siteApiUrl(options.credential.siteUrl, 'wp-json/wc/v3')
    : woocommerceApi.baseUrl;
  return createRestClient({ ...woocommerceApi, baseUrl }, options);
}

const Address = z
  .object({
    first_name: z.string().optional(),
    last_name: z.string().optional(),
    company: z.string().optional(),
    address_1: z.string().optional(),
    address_2: z.string().optional(),
    city: z.string().optional(),
    postcode: z.string().optional(),
    country: z.string().optional(),
    state: z.string().optional(),
    email: z.string().optional(),
    phone: z.string().optional(),
  })
  .loose();

/** An order as wc/v3 answers it (and as the order.created webhook delivers it). */
export const WoocommerceOrderBody = z.object({
  id: z.number().int(),
  number: z.union([z.string(), z.number()]).optional(),
  status: z.string(),
  currency: z.string().optional(),
  date_created_gmt: z.string().nullable().optional(),
  date_modified_gmt: z.string().nullable().optional(),
  total: z.string(),
  total_tax: z.string().optional(),
  customer_id: z.number().int().optional(),
  customer_note: z.string().optional(),
  billing: Address.optional(),
  shipping: Address.optional(),
  payment_method_title: z.string().optional(),
  line_items: z
    .array(
      z
        .object({
          id: z.number().int(),
          name: z.string(),
          product_id: z.number().int().optional(),
          variation_id: z.number().int().optional(),
          quantity: z.number(),
          sku: z.string().nullable().optional(),
          total: z.string(),
        })
        .loose(),
    )
    .max(1000)
    .default([]),
});

const LineItem = z.object({
  id: z.number().int().describe('Line item id.'),
  name: z.string().describe('Product name.'),
  productId: z.number().int().nullable().describe('Product id.'),
  variationId: z.number().int().nullable().describe('Variation id, 0 or null for none.'),
  quantity: z.number().describe('Quantity.'),
  sku: z.string().nullable().describe('SKU.'),
  total: z.string().describe('Line total (decimal string).'),
});

export const Order = z.object({
  id: z.number().int().describe('The order id.'),
  number: z.string().describe('The order number customers see.'),
  status: z.string().describe('pending, processing, on-hold, completed, cancelled, refunded, failed, …'),
  currency: z.string().nullable().describe('ISO currency, e.g. EUR.'),
  total: z.string().describe('Order total (decimal string), e.g. "49.90".'),
  totalTax: z.string().nullable().describe('Tax total.'),
  createdAt: z.string().nullable().describe('When it was placed (UTC, ISO 8601).'),
  modifiedAt: z.string().nullable().describe('Last change (UTC, ISO 8601).'),
  customerId: z.number().int().nullable().describe('Customer user id, 0 for a guest.'),
  customerNote: z.string().describe('The note the customer left.'),
  email: z.string().nullable().describe('Billing email.'),
  billingName: z.string().describe('Billing first and last name.'),
  paymentMethod: z.string().nullable().describe('Payment method title.'),
  shippingCity: z.string().nullable().describe('Shipping city.'),
  shippingCountry: z.string().nullable().describe('Shipping country code.'),
  lineItems: z.array(LineItem).describe('What was ordered.'),
});
export type Order = z.infer<typeof Order>;

export function toOrder(raw: unknown): Order {
  const order = WoocommerceOrderBody.parse(raw);
  const name = [order.billing?.first_name, order.billing?.last_name].filter(Boolean).join(' ');
  return {
    id: order.id,
    number: String(order.number ?? order.id),
    status: order.status,
    currency: order.currency ?? null,
    total: order.total,
    totalTax: order.total_tax ?? null,
    createdAt: order.date_created_gmt ? `${order.date_created_gmt.replace(/Z$/, '')}Z` : null,
    modifiedAt: order.date_modified_gmt ? `${order.date_modified_gmt.replace(/Z$/, '')}Z` : null,
    customerId: order.customer_id ?? null,
    customerNote: order.customer_note ?? '',
    email: order.billing?.email || null,
    billingName: name,
    paymentMethod: order.payment_method_title || null,
    shippingCity: order.shipping?.city || null,
    shippingCountry: order.shipping?.country || null,
    lineItems: order.line_items.map((item) => ({
      id: item.id,
      name: item.name,
      productId: item.product_id ?? null,
      variationId: item.variation_id ?? null,
      quantity: item.quantity,
      sku: item.sku ?? null,
      total: item.total,
    })),
  };
}

export const WoocommerceProductBody = z.object({
  id: z.number().int(),
  name: z.string(),
  slug: z.string().optional(),
  permalink: z.string().optional(),
  type: z.string().optional(),
  status: z.string(),
  sku: z.string().optional(),
  price: z.string().optional(),
  regular_price: z.string().optional(),
  sale_price: z.string().optional(),
  stock_status: z.string().optional(),
  stock_quantity: z.number().nullable().optional(),
  manage_stock: z.boolean().optional(),
  date_modified_gmt: z.string().nullable().optional(),
});

export const Product = z.object({
  id: z.number().int().describe('The product id.'),
  name: z.string().describe('The product name.'),
  sku: z.string().nullable().describe('SKU.'),
  status: z.string().describe('publish, draft, pending or private.'),
  type: z.string().nullable().describe('simple, variable, grouped or external.'),
  price: z.string().nullable().describe('The current price (decimal string).'),
  regularPrice: z.string().nullable().describe('The regular price.'),
  salePrice: z.string().nullable().describe('The sale price, when on sale.'),
  stockStatus: z.string().nullable().describe('instock, outofstock or onbackorder.'),
  stockQuantity: z.number().nullable().describe('Units in stock, when stock is managed.'),
  url: z.string().nullable().describe('The product page.'),
});
export type Product = z.infer<typeof Product>;

export function toProduct(raw: unknown): Product {
  const product = WoocommerceProductBody.parse(raw);
  return {
    id: product.id,
    name: product.name,
    sku: product.sku || null,
    status: product.status,
    type: product.type ?? null,
    price: product.price || null,
    regularPrice: product.regular_price || null,
    salePrice: product.sale_price || null,
    stockStatus: product.stock_status ?? null,
    stockQuantity: product.stock_quantity ?? null,
    url: product.permalink ?? null,
  };
}

export const OrderId = z.number().int().positive().describe('The order id, e.g. 1042.');
export const ProductId = z.number().int().positive().describe('The product id, e.g. 799.');

export const OrderStatus = z
  .enum([
    'pending',
    'processing',
    'on-hold',
    'completed',
    'cancelled',
    'refunded',
    'failed',
    'checkout-draft',
  ])
  .describe('An order status, e.g. "completed".');

export const PageLimit = z
  .number()
  .int()
  .min(1)
  .max(1000)
  .default(100)
  .describe('At most this many (1–1000, default 100); pages of 100 are fetched as needed.');

/** The totals WooCommerce sends with every list: X-WP-Total and X-WP-TotalPages. */
export function totalsOf(headers: Headers): { total: number | null; totalPages: number | null } {
  const read = (name: string) => {
    const value = Number(headers.get(name));
    return headers.has(name) && Number.isInteger(value) ? value : null;
  };
  return { total: read('x-wp-total'), totalPages: read('x-wp-totalpages') };
}
