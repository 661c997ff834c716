import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import { SHOPIFY_API_VERSION } from './client.ts';
import { signShopifyPayload } from './webhook.ts';

type Json = Record<string, unknown>;
type FakeOrder = Json & { id: number; created_at: string; financial_status: string; line_items: Json[] };
type FulfillmentOrder = {
  id: number;
  order_id: number;
  status: string;
  assigned_location_id: number;
  line_items: { id: number; line_item_id: number; quantity: number; fulfillable_quantity: number }[];
};

export type ShopifyFake = {
  /** Give as env.baseUrls.shopify (…/admin/api/2024-10). */
  url: string;
  shop: string;
  accessToken: string;
  clientSecret: string;
  locationId: number;
  requests: RecordedRequest[];
  orders(): FakeOrder[];
  products(): Json[];
  webhooks(): Json[];
  fulfillments(): Json[];
  inventory(inventoryItemId: number, locationId: number): number | undefined;
  fulfillmentOrders(orderId: number): FulfillmentOrder[];
  /** Adds orders (newest last) without webhooks. */
  seedOrders(count: number): FakeOrder[];
  /** A customer places an order: it is stored and every orders/create webhook receives it, signed. */
  placeOrder(
    fields?: Partial<FakeOrder>,
  ): Promise<{ order: FakeOrder; deliveries: { url: string; status: number }[] }>;
  /** What `X-Shopify-Shop-Api-Call-Limit` says on every answer, e.g. "39/40" (default "1/40"). */
  setCallLimit(value: string): void;
  /** The app is uninstalled: its token stops working. */
  revoke(): void;
  /** Route keys: `GET /orders.json`, `POST /inventory_levels/set.json`, `POST /fulfillments.json`, … */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

/** Shopify's 429 answer: the leaky bucket is full. */
export const shopifyThrottled: InjectedFailure = {
  status: 429,
  headers: { 'retry-after': '2.0', 'x-shopify-shop-api-call-limit': '40/40' },
  body: {
    errors:
      'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
  },
};

const PAGE_MAX = 250;
const SHOP_TOPICS = new Set([
  'orders/create',
  'orders/updated',
  'orders/paid',
  'products/create',
  'products/update',
]);

/**
 * A local Shopify Admin REST API 2024-10 (https://shopify.dev/docs/api/admin-rest): `X-Shopify-Access-Token`,
 * `orders.json`/`products.json` paged by `limit` (≤ 250) and an opaque `page_info` in the `Link` header (with which
 * filters are refused, as Shopify does), single orders and products, `inventory_levels/set.json`, fulfillment
 * orders and `fulfillments.json`, `webhooks.json` (422 for a duplicate address and topic), deliveries signed with
 * X-Shopify-Hmac-Sha256, `X-Shopify-Shop-Api-Call-Limit` on every answer, and the `{ errors }` bodies.
 */
export async function startShopifyFake(): Promise<ShopifyFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const shop = 'vmesh-test.myshopify.com';
  const clientSecret = `shpss_${randomBytes(16).toString('hex')}`;
  let accessToken = `shpat_${randomBytes(16).toString('hex')}`;
  const locationId = 655_441_491;
  const orders: FakeOrder[] = [];
  const fulfillmentOrders: FulfillmentOrder[] = [];
  const fulfillments: Json[] = [];
  const webhooks: Json[] = [];
  const levels = new Map<string, number>();
  let nextId = 450_789_469;
  let callLimit = '1/40';
  let clock = Date.parse('2026-12-01T09:00:00Z');
  const id = () => nextId++;
  const products: Json[] = Array.from({ length: 3 }, (_, index) => ({
    id: 632_910_392 + index,
    title: ['Winter jacket', 'Wool hat', 'Rain boots'][index],
    handle: ['winter-jacket', 'wool-hat', 'rain-boots'][index],
    status: index === 2 ? 'draft' : 'active',
    vendor: 'Acme',
    product_type: index === 1 ? 'Hats' : 'Outerwear',
    tags: 'winter, sale',
    created_at: '2026-11-01T10:00:00+01:00',
    updated_at: '2026-11-02T10:00:00+01:00',
    variants: [
      {
        id: 39_072_856 + index,
        title: 'M',
        sku: `SKU-${index}-M`,
        price: '59.90',
        inventory_item_id: 808_950_810 + index,
        inventory_quantity: 10,
      },
    ],
  }));
  for (const product of products) {
    const variant = (product.variants as Json[])[0];
    levels.set(`${String(variant?.inventory_item_id)}:${locationId}`, 10);
  }
  const base = `/admin/api/${SHOPIFY_API_VERSION}`;

  const newOrder = (fields: Partial<FakeOrder> = {}): FakeOrder => {
    const orderId = id();
    clock += 60_000;
    const order: FakeOrder = {
      id: orderId,
      admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
      name: `#${1000 + orders.length + 1}`,
      email: 'ana@example.com',
      created_at: new Date(clock).toISOString().replace('.000Z', '+00:00'),
      financial_status: 'paid',
      fulfillment_status: null,
      currency: 'EUR',
      total_price: '59.90',
      subtotal_price: '59.90',
      tags: '',
      note: null,
      customer: { id: 207_119_551, email: 'ana@example.com', first_name: 'Ana', last_name: 'Lima' },
      line_items: [
        {
          id: id(),
          product_id: 632_910_392,
          variant_id: 39_072_856,
          title: 'Winter jacket',
          sku: 'SKU-0-M',
          quantity: 2,
          price: '29.95',
        },
      ],
      shipping_address: {
        name: 'Ana Lima',
        address1: 'Hauptstr. 1',
        city: 'Berlin',
        zip: '10115',
        country_code: 'DE',
      },
      ...fields,
    };
    orders.push(order);
    fulfillmentOrders.push({
      id: id(),
      order_id: order.id,
      status: 'open',
      assigned_location_id: locationId,
      line_items: order.line_items.map((item) => ({
        id: id(),
        line_item_id: Number(item.id),
        quantity: Number(item.quantity),
        fulfillable_quantity: Number(item.quantity),
      })),
    });
    return order;
  };

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers['x-shopify-access-token'] === accessToken) return true;
    void reply
      .code(401)
      .send({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    return false;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    reply.header('x-shopify-shop-api-call-limit', callLimit);
    const path = (request.url.split('?')[0] ?? '').replace(base, '').replace(/\/\d+(?=[/.])/g, '/:id');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
  });

  const notFound = (reply: FastifyReply) => reply.code(404).send({ errors: 'Not Found' });

  /** One page and the Link header; `page_info` carries the offset and the filters, and refuses new filters. */
  const page = <T>(
    request: FastifyRequest,
    reply: FastifyReply,
    path: string,
    all: (query: Record<string, string>) => T[] | undefined,
  ) => {
    const query = request.query as Record<string, string>;
    const limit = Number(query.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) {
      return reply.code(400).send({ errors: { limit: ['must be between 1 and 250'] } });
    }
    let offset = 0;
    let filters: Record<string, string> = query;
    if (query.page_info) {
      const extra = Object.keys(query).filter(
        (name) => name !== 'page_info' && name !== 'limit' && name !== 'fields',
      );
      if (extra.length > 0) {
        return reply
          .code(400)
          .send({ errors: { page_info: [`Unsupported parameter: ${extra[0]} when page_info is provided`] } });
      }
      try {
        const decoded = JSON.parse(Buffer.from(query.page_info, 'base64url').toString()) as {
          offset: number;
          filters: Record<string, string>;
        };
        offset = decoded.offset;
        filters = decoded.filters;
      } catch {
        return reply.code(400).send({ errors: { page_info: ['Invalid value.'] } });
      }
    }
    const items = all(filters);
    if (!items) return reply;
    const origin = `http://${request.headers.host ?? '127.0.0.1'}`;
    const links: string[] = [];
    const info = (at: number) => Buffer.from(JSON.stringify({ offset: at, filters })).toString('base64url');
    if (offset > 0)
      links.push(
        `<${origin}${base}/${path}?limit=${limit}&page_info=${info(Math.max(0, offset - limit))}>; rel="previous"`,
      );
    if (offset + limit < items.length)
      links.push(`<${origin}${base}/${path}?limit=${limit}&page_info=${info(offset + limit)}>; rel="next"`);
    if (links.length > 0) reply.header('link', links.join(', '));
    return items.slice(offset, offset + limit);
  };

  app.get(`${base}/shop.json`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return {
      shop: { id: 548_380_009, name: 'VelocityMesh Test Shop', myshopify_domain: shop, currency: 'EUR' },
    };
  });

  app.get(`${base}/orders.json`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const result = page(request, reply, 'orders.json', (filters) =>
      [...orders]
        .reverse()
        .filter(
          (order) =>
            (!filters.financial_status ||
              filters.financial_status === 'any' ||
              order.financial_status === filters.financial_status) &&
            (!filters.created_at_min || Date.parse(order.created_at) >= Date.parse(filters.created_at_min)),
        ),
    );
    return Array.isArray(result) ? { orders: result } : result;
  });

  app.get<{ Params: { id: string } }>(`${base}/orders/:id(^\\d+).json`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const order = orders.find((candidate) => String(candidate.id) === request.params.id);
    return order ? { order } : notFound(reply);
  });

  app.get<{ Params: { id: string } }>(
    `${base}/orders/:id/fulfillment_orders.json`,
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      if (!orders.some((order) => String(order.id) === request.params.id)) return notFound(reply);
      return {
        fulfillment_orders: fulfillmentOrders.filter((fo) => String(fo.order_id) === request.params.id),
      };
    },
  );

  app.post<{
    Body: {
      fulfillment?: {
        line_items_by_fulfillment_order?: {
          fulfillment_order_id: number;
          fulfillment_order_line_items?: { id: number; quantity: number }[];
        }[];
        tracking_info?: { number?: string; url?: string; company?: string };
        notify_customer?: boolean;
      };
    };
  }>(`${base}/fulfillments.json`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const body = request.body?.fulfillment;
    const groups = body?.line_items_by_fulfillment_order ?? [];
    if (groups.length === 0)
      return reply.code(400).send({ errors: { fulfillment: ['Required parameter missing or invalid'] } });
    let orderId = 0;
    for (const group of groups) {
      const fo = fulfillmentOrders.find((candidate) => candidate.id === group.fulfillment_order_id);
      if (!fo || fo.status === 'closed') {
        return reply.code(422).send({
          errors: [`Fulfillment order ${group.fulfillment_order_id} has an unfulfillable status= closed.`],
        });
      }
      orderId = fo.order_id;
      for (const wanted of group.fulfillment_order_line_items ??
        fo.line_items.map((line) => ({ id: line.id, quantity: line.fulfillable_quantity }))) {
        const line = fo.line_items.find((candidate) => candidate.id === wanted.id);
        if (!line || wanted.quantity > line.fulfillable_quantity) {
          return reply
            .code(422)
            .send({ errors: { base: ['Invalid fulfillment order line item quantity requested.'] } });
        }
        line.fulfillable_quantity -= wanted.quantity;
      }
      if (fo.line_items.every((line) => line.fulfillable_quantity === 0)) fo.status = 'closed';
    }
    const order = orders.find((candidate) => candidate.id === orderId);
    const open = fulfillmentOrders.filter((fo) => fo.order_id === orderId && fo.status !== 'closed');
    if (order) order.fulfillment_status = open.length === 0 ? 'fulfilled' : 'partial';
    const fulfillment = {
      id: id(),
      order_id: orderId,
      status: 'success',
      tracking_company: body?.tracking_info?.company ?? null,
      tracking_number: body?.tracking_info?.number ?? null,
      tracking_url: body?.tracking_info?.url ?? null,
      notify_customer: body?.notify_customer ?? false,
      created_at: new Date(clock).toISOString(),
    };
    fulfillments.push(fulfillment);
    return reply.code(201).send({ fulfillment });
  });

  app.get(`${base}/products.json`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const result = page(request, reply, 'products.json', (filters) =>
      products.filter(
        (product) =>
          (!filters.status || product.status === filters.status) &&
          (!filters.vendor || product.vendor === filters.vendor) &&
          (!filters.title || String(product.title).toLowerCase().includes(filters.title.toLowerCase())),
      ),
    );
    return Array.isArray(result) ? { products: result } : result;
  });

  app.get<{ Params: { id: string } }>(`${base}/products/:id(^\\d+).json`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const product = products.find((candidate) => String(candidate.id) === request.params.id);
    return product ? { product } : notFound(reply);
  });

  app.post<{ Body: { inventory_item_id?: unknown; location_id?: unknown; available?: unknown } }>(
    `${base}/inventory_levels/set.json`,
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const { inventory_item_id: item, location_id: location, available } = request.body ?? {};
      if (typeof item !== 'number' || typeof location !== 'number' || typeof available !== 'number') {
        return reply
          .code(400)
          .send({ errors: { inventory_item_id: ['Required parameter missing or invalid'] } });
      }
      if (location !== locationId) return reply.code(404).send({ errors: 'Not Found' });
      if (!levels.has(`${item}:${location}`)) {
        return reply.code(422).send({ errors: ['Inventory item does not have inventory tracking enabled'] });
      }
      levels.set(`${item}:${location}`, available);
      return {
        inventory_level: {
          inventory_item_id: item,
          location_id: location,
          available,
          updated_at: new Date(clock).toISOString(),
          admin_graphql_api_id: `gid://shopify/InventoryLevel/${location}?inventory_item_id=${item}`,
        },
      };
    },
  );

  app.get(`${base}/webhooks.json`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const { address, topic } = request.query as Record<string, string | undefined>;
    return {
      webhooks: webhooks.filter(
        (hook) => (!address || hook.address === address) && (!topic || hook.topic === topic),
      ),
    };
  });

  app.post<{ Body: { webhook?: { topic?: string; address?: string; format?: string } } }>(
    `${base}/webhooks.json`,
    async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const { topic, address, format = 'json' } = request.body?.webhook ?? {};
      if (!topic || !SHOP_TOPICS.has(topic))
        return reply.code(422).send({ errors: { topic: ['Invalid topic specified.'] } });
      if (!address) return reply.code(422).send({ errors: { address: ["can't be blank"] } });
      if (webhooks.some((hook) => hook.address === address && hook.topic === topic)) {
        return reply.code(422).send({ errors: { address: ['for this topic has already been taken'] } });
      }
      const now = new Date(clock).toISOString();
      const webhook = {
        id: id(),
        address,
        topic,
        format,
        created_at: now,
        updated_at: now,
        fields: [],
        metafield_namespaces: [],
        api_version: SHOPIFY_API_VERSION,
      };
      webhooks.push(webhook);
      return reply.code(201).send({ webhook });
    },
  );

  app.delete<{ Params: { id: string } }>(`${base}/webhooks/:id(^\\d+).json`, async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const index = webhooks.findIndex((hook) => String(hook.id) === request.params.id);
    if (index < 0) return notFound(reply);
    webhooks.splice(index, 1);
    return {};
  });

  const url = `${await listenLocal(app)}${base}`;
  return {
    url,
    shop,
    get accessToken() {
      return accessToken;
    },
    clientSecret,
    locationId,
    requests,
    orders: () => orders,
    products: () => products,
    webhooks: () => webhooks,
    fulfillments: () => fulfillments,
    inventory: (item, location) => levels.get(`${item}:${location}`),
    fulfillmentOrders: (orderId) => fulfillmentOrders.filter((fo) => fo.order_id === orderId),
    seedOrders: (count) => Array.from({ length: count }, () => newOrder()),
    async placeOrder(fields) {
      const order = newOrder(fields);
      const body = JSON.stringify(order);
      const deliveries: { url: string; status: number }[] = [];
      for (const hook of webhooks.filter((candidate) => candidate.topic === 'orders/create')) {
        const response = await fetch(String(hook.address), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-shopify-topic': 'orders/create',
            'x-shopify-hmac-sha256': signShopifyPayload(body, clientSecret),
            'x-shopify-shop-domain': shop,
            'x-shopify-api-version': SHOPIFY_API_VERSION,
            'x-shopify-webhook-id': randomUUID(),
            'x-shopify-event-id': randomUUID(),
            'x-shopify-triggered-at': new Date().toISOString(),
          },
          body,
        });
        await response.arrayBuffer();
        deliveries.push({ url: String(hook.address), status: response.status });
      }
      return { order, deliveries };
    },
    setCallLimit(value) {
      callLimit = value;
    },
    revoke() {
      accessToken = `shpat_${randomBytes(16).toString('hex')}`;
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
