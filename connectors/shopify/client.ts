import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { apiKeyHeaderStyle } from '../sdk/auth/header-styles.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createRestClient, type RestApi, type RestClient } from '../sdk/rest/index.ts';

/** The Admin REST API version every request names (Shopify supports each for at least a year). */
export const SHOPIFY_API_VERSION = '2024-10';

export const ShopifyCredential = z.strictObject({
  shop: z
    .string()
    .toLowerCase()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$/,
      'the shop’s myshopify.com domain, e.g. "acme.myshopify.com"',
    )
    .describe('The shop’s permanent domain, e.g. "acme.myshopify.com" (not a custom domain).'),
  accessToken: z
    .string()
    .regex(/^shp(at|ca|ua|pa)_[A-Za-z0-9]{16,128}$/, 'an Admin API access token (shpat_…)')
    .describe('The Admin API access token of the custom app (shpat_…), shown once after installing it.'),
  clientSecret: z
    .string()
    .min(16)
    .max(256)
    .optional()
    .describe(
      'The app’s API secret key (client secret): Shopify signs the webhooks the app registers with it. Needed for trigger orderCreated with a trigger credential.',
    ),
});
export type ShopifyCredential = z.infer<typeof ShopifyCredential>;

const ShopifyErrorBody = z.object({
  errors: z.union([
    z.string(),
    z.array(z.string()),
    z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  ]),
});

function errorText(errors: z.infer<typeof ShopifyErrorBody>['errors']): string {
  if (typeof errors === 'string') return errors;
  if (Array.isArray(errors)) return errors.join('; ');
  return Object.entries(errors)
    .map(([field, messages]) => `${field} ${Array.isArray(messages) ? messages.join(', ') : messages}`)
    .join('; ');
}

/** The Admin REST API of one shop; errors are `{ errors: "…" }`, `{ errors: [...] }` or `{ errors: { field: [msg] } }`. */
export function shopifyApi(shop: string | undefined): RestApi<ShopifyCredential> {
  return {
    connector: 'shopify',
    baseUrl: `https://${shop ?? 'shop.myshopify.com'}/admin/api/${SHOPIFY_API_VERSION}`,
    auth: (credential) =>
      bindAuth(apiKeyHeaderStyle, { name: 'X-Shopify-Access-Token', value: credential.accessToken }),
    vendorError(body, status) {
      const parsed = ShopifyErrorBody.safeParse(body);
      if (!parsed.success) return undefined;
      const message = errorText(parsed.data.errors);
      const scope = /requires merchant approval for (\w+) scope/i.exec(message)?.[1];
      return {
        message,
        ...(scope
          ? {
              hint: `The app lacks the ${scope} access scope: add it in the app's Admin API configuration, reinstall the app and store the new token.`,
            }
          : {}),
        ...(status === 429 ? { retryAfterMs: 1000 } : {}),
      };
    },
    hints: {
      401: 'Shopify refused the access token (the app was uninstalled or the token rotated): reinstall the custom app, copy the new Admin API access token and store it with `vmesh credentials set NAME --type shopify`.',
      402: 'The shop is frozen or its plan does not include this; the shop owner must settle the bill.',
      403: 'The app lacks an access scope this call needs (read_orders, write_inventory, write_fulfillments…): add it and reinstall the app.',
      404: 'The id names nothing in this shop (orders older than 60 days need the read_all_orders scope).',
      422: 'Shopify refused the values: change the field the message names.',
      423: 'The shop is locked; try again once the owner unlocks it.',
    },
  };
}

/**
 * The REST client for the credential's shop. A successful answer whose `X-Shopify-Shop-Api-Call-Limit` says the
 * leaky bucket is full holds the credential back for one leak (half a second) before Shopify answers 429.
 */
export function createShopifyClient(options: {
  credential: ShopifyCredential | undefined;
  env: ConnectorEnvironment;
}): RestClient {
  const client = createRestClient(shopifyApi(options.credential?.shop), options);
  return {
    connector: client.connector,
    baseUrl: client.baseUrl,
    async send(request, signal) {
      const response = await client.send(request, signal);
      const [used, size] = (response.headers.get('x-shopify-shop-api-call-limit') ?? '')
        .split('/')
        .map(Number);
      if (used !== undefined && size !== undefined && size > 0 && used >= size - 1) {
        await options.env.reportRateLimit?.(500);
      }
      return response;
    },
  };
}

/** Shopify ids are 64-bit integers; JSON numbers up to 2^53 are exact, which every id so far is. */
export const ShopifyId = (what: string, example: string) =>
  z
    .union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)])
    .transform((value) => String(value))
    .describe(`The ${what} id (a number, e.g. ${example}), from an earlier step or the admin URL.`);

export const shopifyPagination = (
  key: 'orders' | 'products',
  limit: (input: { limit: number }) => number,
) => ({
  style: 'link' as const,
  items: (body: unknown) => z.object({ [key]: z.array(z.unknown()) }).parse(body)[key] ?? [],
  maxItems: limit,
});

const Money = z.union([z.string(), z.number()]).transform((value) => String(value));

const RawLineItem = z.object({
  id: z.number(),
  product_id: z.number().nullable().optional(),
  variant_id: z.number().nullable().optional(),
  title: z.string(),
  sku: z.string().nullable().optional(),
  quantity: z.number().int(),
  price: Money,
});

const RawAddress = z
  .object({
    name: z.string().nullable().optional(),
    address1: z.string().nullable().optional(),
    city: z.string().nullable().optional(),
    zip: z.string().nullable().optional(),
    country_code: z.string().nullable().optional(),
  })
  .nullable()
  .optional();

export const RawOrder = z.object({
  id: z.number(),
  name: z.string(),
  email: z.string().nullable().optional(),
  created_at: z.string(),
  financial_status: z.string().nullable().optional(),
  fulfillment_status: z.string().nullable().optional(),
  currency: z.string(),
  total_price: Money,
  subtotal_price: Money.optional(),
  tags: z.string().default(''),
  note: z.string().nullable().optional(),
  customer: z
    .object({
      id: z.number(),
      email: z.string().nullable().optional(),
      first_name: z.string().nullable().optional(),
      last_name: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  line_items: z.array(RawLineItem).max(1000).default([]),
  shipping_address: RawAddress,
});

export const Order = z.object({
  id: z.string().describe('Order id.'),
  name: z.string().describe('The order name customers see, e.g. "#1001".'),
  email: z.string().nullable().describe('Customer email, or null.'),
  createdAt: z.string().describe('When it was placed (ISO).'),
  financialStatus: z
    .string()
    .nullable()
    .describe('pending, authorized, paid, partially_refunded, refunded, voided.'),
  fulfillmentStatus: z.string().nullable().describe('null (unfulfilled), partial or fulfilled.'),
  currency: z.string().describe('Currency, e.g. "EUR".'),
  totalPrice: z.string().describe('Total as a decimal string, e.g. "59.90".'),
  tags: z.array(z.string()).describe('Order tags.'),
  note: z.string().nullable().describe('The customer’s note, or null.'),
  customer: z
    .object({
      id: z.string(),
      email: z.string().nullable(),
      firstName: z.string().nullable(),
      lastName: z.string().nullable(),
    })
    .nullable()
    .describe('The customer, or null for guest checkouts without one.'),
  lineItems: z
    .array(
      z.object({
        id: z.string(),
        productId: z.string().nullable(),
        variantId: z.string().nullable(),
        title: z.string(),
        sku: z.string().nullable(),
        quantity: z.number().int(),
        price: z.string(),
      }),
    )
    .describe('What was ordered.'),
  shippingAddress: z
    .object({
      name: z.string().nullable(),
      address1: z.string().nullable(),
      city: z.string().nullable(),
      zip: z.string().nullable(),
      countryCode: z.string().nullable(),
    })
    .nullable()
    .describe('Where it ships, or null.'),
});
export type Order = z.infer<typeof Order>;

const idOrNull = (value: number | null | undefined) =>
  value === null || value === undefined ? null : String(value);
const splitTags = (tags: string) =>
  tags
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);

export function toOrder(raw: unknown): Order {
  const order = RawOrder.parse(raw);
  const address = order.shipping_address;
  return {
    id: String(order.id),
    name: order.name,
    email: order.email ?? null,
    createdAt: order.created_at,
    financialStatus: order.financial_status ?? null,
    fulfillmentStatus: order.fulfillment_status ?? null,
    currency: order.currency,
    totalPrice: order.total_price,
    tags: splitTags(order.tags),
    note: order.note ?? null,
    customer: order.customer
      ? {
          id: String(order.customer.id),
          email: order.customer.email ?? null,
          firstName: order.customer.first_name ?? null,
          lastName: order.customer.last_name ?? null,
        }
      : null,
    lineItems: order.line_items.map((item) => ({
      id: String(item.id),
      productId: idOrNull(item.product_id),
      variantId: idOrNull(item.variant_id),
      title: item.title,
      sku: item.sku ?? null,
      quantity: item.quantity,
      price: item.price,
    })),
    shippingAddress: address
      ? {
          name: address.name ?? null,
          address1: address.address1 ?? null,
          city: address.city ?? null,
          zip: address.zip ?? null,
          countryCode: address.country_code ?? null,
        }
      : null,
  };
}

const RawProduct = z.object({
  id: z.number(),
  title: z.string(),
  handle: z.string(),
  status: z.string(),
  vendor: z.string().nullable().optional(),
  product_type: z.string().nullable().optional(),
  tags: z.string().default(''),
  created_at: z.string(),
  updated_at: z.string().nullable().optional(),
  variants: z
    .array(
      z.object({
        id: z.number(),
        title: z.string(),
        sku: z.string().nullable().optional(),
        price: Money,
        inventory_item_id: z.number().nullable().optional(),
        inventory_quantity: z.number().int().nullable().optional(),
      }),
    )
    .max(2048)
    .default([]),
});

export const Product = z.object({
  id: z.string().describe('Product id.'),
  title: z.string().describe('Product title.'),
  handle: z.string().describe('URL handle, e.g. "winter-jacket".'),
  status: z.string().describe('active, draft or archived.'),
  vendor: z.string().nullable().describe('Vendor, or null.'),
  productType: z.string().nullable().describe('Product type, or null.'),
  tags: z.array(z.string()).describe('Tags.'),
  createdAt: z.string().describe('When it was created (ISO).'),
  variants: z
    .array(
      z.object({
        id: z.string(),
        title: z.string(),
        sku: z.string().nullable(),
        price: z.string(),
        inventoryItemId: z.string().nullable().describe('Give it to setInventoryLevel.'),
        inventoryQuantity: z.number().int().nullable(),
      }),
    )
    .describe('Its variants (sizes, colours…), each with its inventory item.'),
});

export function toProduct(raw: unknown): z.infer<typeof Product> {
  const product = RawProduct.parse(raw);
  return {
    id: String(product.id),
    title: product.title,
    handle: product.handle,
    status: product.status,
    vendor: product.vendor ?? null,
    productType: product.product_type ?? null,
    tags: splitTags(product.tags),
    createdAt: product.created_at,
    variants: product.variants.map((variant) => ({
      id: String(variant.id),
      title: variant.title,
      sku: variant.sku ?? null,
      price: variant.price,
      inventoryItemId: idOrNull(variant.inventory_item_id),
      inventoryQuantity: variant.inventory_quantity ?? null,
    })),
  };
}
