import { createHmac, randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';

export type FakeOrder = Record<string, unknown> & { id: number; status: string; total: string };
export type FakeProduct = Record<string, unknown> & { id: number };
export type FakeWebhook = {
  id: number;
  name: string;
  status: string;
  topic: string;
  delivery_url: string;
  secret: string;
};

export type WoocommerceFake = {
  siteUrl: string;
  /** The REST root `<site>/wp-json/wc/v3`: give as env.baseUrls.woocommerce. */
  url: string;
  consumerKey: string;
  consumerSecret: string;
  requests: RecordedRequest[];
  orders(): FakeOrder[];
  products(): FakeProduct[];
  webhooks(): FakeWebhook[];
  /** The pings WooCommerce sent to new webhooks' delivery URLs (status answered). */
  pings: { url: string; status: number }[];
  seedOrders(count: number): void;
  /** Places an order as checkout does: stored, then delivered to every active order.created webhook. */
  placeOrder(
    fields?: Partial<FakeOrder>,
  ): Promise<{ order: FakeOrder; deliveries: { url: string; status: number; body: string }[] }>;
  /** A signed order.created delivery as WooCommerce sends it (headers and raw body), for a given secret. */
  orderDelivery(
    order: FakeOrder,
    secret: string,
    webhookId?: number,
  ): { headers: Record<string, string>; body: string };
  /** The key becomes read-only (Read permission). */
  setReadOnly(readOnly: boolean): void;
  /** The key is revoked (WooCommerce → Settings → Advanced → REST API → Revoke). */
  revoke(): void;
  /** Route keys: `GET /orders`, `PUT /orders/:id`, `GET /products`, `POST /webhooks`. */
  fail(route: string, failure: InjectedFailure): void;
  close(): Promise<void>;
};

export function wcError(code: string, message: string, status: number) {
  return { code, message, data: { status } };
}

const ROOT = '/wp-json/wc/v3';

/**
 * A local WooCommerce REST API v3 (woocommerce.github.io/woocommerce-rest-api-docs): consumer key and secret as
 * basic auth, orders and products (get, list paged by page/per_page with X-WP-Total, X-WP-TotalPages and
 * `Link: rel="next"`, update with PUT), webhooks (list, create — which pings the delivery URL with `webhook_id=<id>`
 * —, update, delete with force), order.created deliveries signed with X-WC-Webhook-Signature (base64 HMAC-SHA256
 * of the body), `/system_status`, and WP_Error bodies `{ code, message, data: { status } }`.
 */
export async function startWoocommerceFake(): Promise<WoocommerceFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const orders: FakeOrder[] = [];
  const products: FakeProduct[] = [
    {
      id: 799,
      name: 'Hoodie – red',
      slug: 'hoodie-red',
      permalink: 'https://shop.example.com/product/hoodie-red/',
      type: 'simple',
      status: 'publish',
      sku: 'HD-RED-M',
      price: '41.93',
      regular_price: '41.93',
      sale_price: '',
      stock_status: 'instock',
      stock_quantity: 12,
      manage_stock: true,
    },
  ];
  const webhooks: FakeWebhook[] = [];
  const pings: { url: string; status: number }[] = [];
  const consumerKey = `ck_${randomBytes(20).toString('hex')}`;
  let consumerSecret = `cs_${randomBytes(20).toString('hex')}`;
  let readOnly = false;
  let nextOrderId = 1000;
  let nextWebhookId = 1;
  let site = '';

  const newOrder = (fields: Partial<FakeOrder> = {}): FakeOrder => {
    const id = nextOrderId++;
    const now = new Date(Date.UTC(2026, 11, 4, 9, 0) + id * 1000).toISOString().slice(0, 19);
    const order: FakeOrder = {
      id,
      parent_id: 0,
      number: String(id),
      order_key: `wc_order_${randomBytes(6).toString('hex')}`,
      created_via: 'checkout',
      status: 'processing',
      currency: 'EUR',
      date_created: now,
      date_created_gmt: now,
      date_modified_gmt: now,
      total: '49.90',
      total_tax: '7.97',
      customer_id: 17,
      customer_note: '',
      billing: { first_name: 'Ana', last_name: 'Lima', email: 'ana@example.com', phone: '+351 900 000 000' },
      shipping: { first_name: 'Ana', last_name: 'Lima', city: 'Lisbon', country: 'PT' },
      payment_method: 'stripe',
      payment_method_title: 'Credit card',
      meta_data: [],
      line_items: [
        {
          id: id * 10,
          name: 'Hoodie – red',
          product_id: 799,
          variation_id: 0,
          quantity: 1,
          sku: 'HD-RED-M',
          total: '41.93',
        },
      ],
      ...fields,
    };
    orders.push(order);
    return order;
  };

  const orderDelivery = (order: FakeOrder, secret: string, webhookId = 0) => {
    const body = JSON.stringify(order);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
        'x-wc-webhook-source': `${site}/`,
        'x-wc-webhook-topic': 'order.created',
        'x-wc-webhook-resource': 'order',
        'x-wc-webhook-event': 'created',
        'x-wc-webhook-signature': createHmac('sha256', secret).update(body).digest('base64'),
        'x-wc-webhook-id': String(webhookId),
        'x-wc-webhook-delivery-id': randomBytes(16).toString('hex'),
      },
    };
  };

  const authorized = (request: FastifyRequest, reply: FastifyReply, write: boolean): boolean => {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) {
      void reply
        .code(401)
        .send(wcError('woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.', 401));
      return false;
    }
    const [key, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    if (key !== consumerKey) {
      void reply
        .code(401)
        .send(wcError('woocommerce_rest_authentication_error', 'Consumer key is invalid.', 401));
      return false;
    }
    if (secret !== consumerSecret) {
      void reply
        .code(401)
        .send(wcError('woocommerce_rest_authentication_error', 'Consumer secret is invalid.', 401));
      return false;
    }
    if (write && readOnly) {
      void reply
        .code(401)
        .send(
          wcError(
            'woocommerce_rest_authentication_error',
            'The API key provided does not have write permissions.',
            401,
          ),
        );
      return false;
    }
    return true;
  };

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '').replace(ROOT, '').replace(/^\/(\w+)\/\d+$/, '/$1/:id');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure) return sendFailure(reply, failure);
  });

  type ListRequest = FastifyRequest<{ Querystring: Record<string, string | undefined> }>;
  const page = <T>(
    request: ListRequest,
    reply: FastifyReply,
    items: T[],
    path: string,
  ): T[] | FastifyReply => {
    const perPage = Number(request.query.per_page ?? 10);
    const number = Number(request.query.page ?? 1);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      return reply.code(400).send({
        code: 'rest_invalid_param',
        message: 'Invalid parameter(s): per_page',
        data: {
          status: 400,
          params: { per_page: 'per_page must be between 1 (inclusive) and 100 (inclusive)' },
        },
      });
    }
    const totalPages = Math.ceil(items.length / perPage);
    reply.header('x-wp-total', String(items.length));
    reply.header('x-wp-totalpages', String(totalPages));
    if (number < totalPages) {
      const next = new URL(`${site}${ROOT}${path}`);
      for (const [name, value] of Object.entries(request.query))
        if (value) next.searchParams.set(name, value);
      next.searchParams.set('page', String(number + 1));
      reply.header('link', `<${next.href}>; rel="next"`);
    }
    return items.slice((number - 1) * perPage, number * perPage);
  };

  app.get(`${ROOT}/orders`, async (request: ListRequest, reply) => {
    if (!authorized(request, reply, false)) return reply;
    const statuses = request.query.status?.split(',');
    const matching = orders
      .filter((order) => !statuses || statuses.includes(order.status))
      .filter((order) => !request.query.customer || String(order.customer_id) === request.query.customer)
      .sort((a, b) => b.id - a.id);
    return page(request, reply, matching, '/orders');
  });

  const findOrder = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const order = orders.find((candidate) => candidate.id === Number(request.params.id));
    if (!order)
      void reply.code(404).send(wcError('woocommerce_rest_shop_order_invalid_id', 'Invalid ID.', 404));
    return order;
  };
  app.get<{ Params: { id: string } }>(`${ROOT}/orders/:id`, async (request, reply) => {
    if (!authorized(request, reply, false)) return reply;
    return findOrder(request, reply) ?? reply;
  });
  app.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
    `${ROOT}/orders/:id`,
    async (request, reply) => {
      if (!authorized(request, reply, true)) return reply;
      const order = findOrder(request, reply);
      if (!order) return reply;
      const body = request.body ?? {};
      const known = [
        'pending',
        'processing',
        'on-hold',
        'completed',
        'cancelled',
        'refunded',
        'failed',
        'checkout-draft',
      ];
      if (typeof body.status === 'string' && !known.includes(body.status)) {
        return reply.code(400).send({
          code: 'rest_invalid_param',
          message: 'Invalid parameter(s): status',
          data: { status: 400, params: { status: `status is not one of ${known.join(', ')}.` } },
        });
      }
      if (typeof body.status === 'string') order.status = body.status;
      if (typeof body.customer_note === 'string') order.customer_note = body.customer_note;
      if (Array.isArray(body.meta_data)) order.meta_data = body.meta_data;
      order.date_modified_gmt = new Date().toISOString().slice(0, 19);
      return order;
    },
  );

  app.get(`${ROOT}/products`, async (request: ListRequest, reply) => {
    if (!authorized(request, reply, false)) return reply;
    const search = request.query.search?.toLowerCase();
    const matching = products
      .filter((product) => !search || String(product.name).toLowerCase().includes(search))
      .filter((product) => !request.query.sku || product.sku === request.query.sku)
      .filter((product) => !request.query.stock_status || product.stock_status === request.query.stock_status)
      .sort((a, b) => b.id - a.id);
    return page(request, reply, matching, '/products');
  });
  const findProduct = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const product = products.find((candidate) => candidate.id === Number(request.params.id));
    if (!product)
      void reply.code(404).send(wcError('woocommerce_rest_product_invalid_id', 'Invalid ID.', 404));
    return product;
  };
  app.get<{ Params: { id: string } }>(`${ROOT}/products/:id`, async (request, reply) => {
    if (!authorized(request, reply, false)) return reply;
    return findProduct(request, reply) ?? reply;
  });
  app.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
    `${ROOT}/products/:id`,
    async (request, reply) => {
      if (!authorized(request, reply, true)) return reply;
      const product = findProduct(request, reply);
      if (!product) return reply;
      const body = request.body ?? {};
      for (const field of [
        'name',
        'regular_price',
        'sale_price',
        'stock_status',
        'status',
        'manage_stock',
      ] as const) {
        if (body[field] !== undefined) product[field] = body[field];
      }
      if (typeof body.stock_quantity === 'number') {
        product.stock_quantity = body.stock_quantity;
        product.stock_status = body.stock_quantity > 0 ? 'instock' : 'outofstock';
      }
      if (typeof body.regular_price === 'string' || typeof body.sale_price === 'string') {
        product.price = (product.sale_price as string) || (product.regular_price as string);
      }
      return product;
    },
  );

  const ping = async (webhook: FakeWebhook) => {
    try {
      const response = await fetch(webhook.delivery_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'WooCommerce/9.4.2 Hookshot',
        },
        body: `webhook_id=${webhook.id}`,
      });
      pings.push({ url: webhook.delivery_url, status: response.status });
    } catch {
      pings.push({ url: webhook.delivery_url, status: 0 });
    }
  };

  app.get(`${ROOT}/webhooks`, async (request: ListRequest, reply) => {
    if (!authorized(request, reply, false)) return reply;
    const search = request.query.search?.toLowerCase();
    const listed = webhooks
      .filter((webhook) => !search || webhook.name.toLowerCase().includes(search))
      .map(({ secret: _secret, ...webhook }) => webhook);
    return page(request, reply, listed, '/webhooks');
  });
  app.post<{ Body: Partial<FakeWebhook> }>(`${ROOT}/webhooks`, async (request, reply) => {
    if (!authorized(request, reply, true)) return reply;
    const body = request.body ?? {};
    if (!body.topic || !body.delivery_url) {
      return reply
        .code(400)
        .send(wcError('rest_missing_callback_param', 'Missing parameter(s): topic, delivery_url', 400));
    }
    const webhook: FakeWebhook = {
      id: nextWebhookId++,
      name: body.name ?? 'Webhook',
      status: body.status ?? 'active',
      topic: body.topic,
      delivery_url: body.delivery_url,
      secret: body.secret ?? randomBytes(16).toString('hex'),
    };
    webhooks.push(webhook);
    await ping(webhook);
    const { secret: _secret, ...shown } = webhook;
    return reply.code(201).send(shown);
  });
  app.put<{ Params: { id: string }; Body: Partial<FakeWebhook> }>(
    `${ROOT}/webhooks/:id`,
    async (request, reply) => {
      if (!authorized(request, reply, true)) return reply;
      const webhook = webhooks.find((candidate) => candidate.id === Number(request.params.id));
      if (!webhook)
        return reply.code(404).send(wcError('woocommerce_rest_webhook_invalid_id', 'Invalid ID.', 404));
      Object.assign(webhook, request.body ?? {});
      const { secret: _secret, ...shown } = webhook;
      return shown;
    },
  );
  app.delete<{ Params: { id: string }; Querystring: { force?: string } }>(
    `${ROOT}/webhooks/:id`,
    async (request, reply) => {
      if (!authorized(request, reply, true)) return reply;
      const index = webhooks.findIndex((candidate) => candidate.id === Number(request.params.id));
      if (index < 0)
        return reply.code(404).send(wcError('woocommerce_rest_webhook_invalid_id', 'Invalid ID.', 404));
      if (request.query.force !== 'true') {
        return reply
          .code(501)
          .send(wcError('woocommerce_rest_trash_not_supported', 'Webhooks do not support trashing.', 501));
      }
      const [removed] = webhooks.splice(index, 1);
      return removed;
    },
  );

  app.get(`${ROOT}/system_status`, async (request, reply) => {
    if (!authorized(request, reply, false)) return reply;
    return { environment: { home_url: site, site_url: site, version: '9.4.2' } };
  });

  site = await listenLocal(app);
  return {
    siteUrl: site,
    url: `${site}${ROOT}`,
    consumerKey,
    get consumerSecret() {
      return consumerSecret;
    },
    requests,
    orders: () => orders,
    products: () => products,
    webhooks: () => webhooks,
    pings,
    seedOrders(count) {
      for (let index = 0; index < count; index++)
        newOrder({ status: index % 3 === 0 ? 'completed' : 'processing' });
    },
    async placeOrder(fields = {}) {
      const order = newOrder(fields);
      const deliveries: { url: string; status: number; body: string }[] = [];
      for (const webhook of webhooks.filter(
        (candidate) => candidate.status === 'active' && candidate.topic === 'order.created',
      )) {
        const delivery = orderDelivery(order, webhook.secret, webhook.id);
        const response = await fetch(webhook.delivery_url, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        });
        deliveries.push({ url: webhook.delivery_url, status: response.status, body: await response.text() });
      }
      return { order, deliveries };
    },
    orderDelivery: (order, secret, webhookId) => orderDelivery(order, secret, webhookId),
    setReadOnly(next) {
      readOnly = next;
    },
    revoke() {
      consumerSecret = `cs_${randomBytes(20).toString('hex')}`;
    },
    fail: (route, failure) => failures.add(route, failure),
    close: () => app.close(),
  };
}
