import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { WebhookDelivery } from '../sdk/define.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { WoocommerceCredential } from './client.ts';
import { woocommerceConnector } from './connector.ts';
import { startWoocommerceFake, type WoocommerceFake, wcError } from './fake-server.ts';
import { orderCreated } from './triggers/order-created.ts';

let fake: WoocommerceFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({
  siteUrl: 'https://shop.example.com',
  consumerKey: fake.consumerKey,
  consumerSecret: fake.consumerSecret,
});
type Options = { credential?: unknown };

beforeAll(async () => {
  fake = await startWoocommerceFake();
  env = createTestEnvironment({ woocommerce: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(woocommerceConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(woocommerceConnector, key, input, { env, credential: credential(), ...options });

function delivery(headers: Record<string, string>, body: string): WebhookDelivery {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(body);
  } catch {}
  return { headers, rawBody: Buffer.from(body), body: parsed };
}

describe('woocommerce connector against the wc/v3 fake', () => {
  it('gets, lists and completes orders with the consumer key as basic auth', async () => {
    fake.seedOrders(3);
    const first = fake.orders()[0];
    const order = (await run('getOrder', { orderId: first?.id })) as {
      id: number;
      email: string;
      lineItems: unknown[];
    };
    expect(order).toMatchObject({
      id: first?.id,
      email: 'ana@example.com',
      billingName: 'Ana Lima',
      shippingCountry: 'PT',
    });
    expect(order.lineItems).toHaveLength(1);
    const sent = fake.requests.at(-1);
    expect(sent?.path).toBe(`/wp-json/wc/v3/orders/${first?.id}`);
    expect(sent?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.consumerKey}:${fake.consumerSecret}`).toString('base64')}`,
    );

    const updated = await run('updateOrder', {
      orderId: first?.id,
      status: 'completed',
      metaData: [{ key: 'tracking_number', value: '1Z999' }],
    });
    expect(updated).toMatchObject({ status: 'completed' });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'PUT',
      body: { status: 'completed', meta_data: [{ key: 'tracking_number', value: '1Z999' }] },
    });
    const bad = await runError('updateOrder', { orderId: 999_999, status: 'completed' });
    expect(bad).toMatchObject({
      code: 'E_NOT_FOUND',
      details: { vendorCode: 'woocommerce_rest_shop_order_invalid_id' },
    });
  });

  it('walks Link rel="next" pages of orders and reports X-WP-Total', async () => {
    fake.seedOrders(247);
    const before = fake.requests.length;
    const all = (await run('listOrders', { limit: 1000 })) as {
      orders: { id: number }[];
      total: number;
      truncated: boolean;
    };
    expect(all.orders).toHaveLength(all.total);
    expect(all.total).toBe(fake.orders().length);
    expect(all.truncated).toBe(false);
    const pages = fake.requests.slice(before);
    expect(pages.map((request) => request.query.page)).toEqual([undefined, '2', '3']);
    expect(pages[0]?.query).toMatchObject({ per_page: '100', orderby: 'date', order: 'desc' });
    const processing = (await run('listOrders', { status: ['processing'], limit: 20 })) as {
      orders: { status: string }[];
      truncated: boolean;
    };
    expect(processing.truncated).toBe(true);
    expect(new Set(processing.orders.map((item) => item.status))).toEqual(new Set(['processing']));
  });

  it('gets, lists and updates products (price, stock)', async () => {
    expect(await run('getProduct', { productId: 799 })).toMatchObject({ sku: 'HD-RED-M', stockQuantity: 12 });
    const listed = (await run('listProducts', { search: 'hoodie' })) as {
      products: unknown[];
      total: number;
    };
    expect(listed).toMatchObject({ total: 1 });
    const changed = await run('updateProduct', { productId: 799, salePrice: '29.90', stockQuantity: 0 });
    expect(changed).toMatchObject({
      salePrice: '29.90',
      price: '29.90',
      stockStatus: 'outofstock',
      stockQuantity: 0,
    });
    expect(fake.requests.at(-1)?.body).toEqual({
      sale_price: '29.90',
      manage_stock: true,
      stock_quantity: 0,
    });
  });

  it('a read-only key is E_AUTH with a hint; a 429 is retryable after Retry-After', async () => {
    fake.setReadOnly(true);
    const readOnly = await runError('updateOrder', { orderId: fake.orders()[0]?.id, status: 'completed' });
    fake.setReadOnly(false);
    expect(readOnly).toMatchObject({
      code: 'E_AUTH',
      details: { vendorCode: 'woocommerce_rest_authentication_error' },
    });
    expect((readOnly as Error).message).toContain('does not have write permissions');
    fake.fail('GET /orders', {
      status: 429,
      headers: { 'retry-after': '30' },
      body: wcError('woocommerce_rest_too_many_requests', 'Too many requests.', 429),
    });
    expect(await runError('listOrders', {})).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 30_000,
    });
  });

  it('orderCreated: verifies X-WC-Webhook-Signature over the raw body, accepts the unsigned ping, applies filters', async () => {
    const secret = 'hook-secret-0123456789';
    const order = fake.orders()[1];
    if (!order) throw new Error('no order');
    const signed = fake.orderDelivery(order, secret, 3);
    const good = delivery(signed.headers, signed.body);
    expect(orderCreated.verify(good, secret)).toBe(true);
    expect(orderCreated.verify(good, 'another-secret')).toBe(false);
    expect(orderCreated.verify(delivery(signed.headers, signed.body.replace('49.90', '0.01')), secret)).toBe(
      false,
    );
    expect(
      orderCreated.verify(
        delivery({ ...signed.headers, 'x-wc-webhook-signature': 'bm9wZQ==' }, signed.body),
        secret,
      ),
    ).toBe(false);
    const data = orderCreated.parse(good);
    expect(data).toMatchObject({
      id: order.id,
      total: '49.90',
      shop: `${fake.siteUrl}/`,
      lineItems: [{ sku: 'HD-RED-M' }],
    });
    expect(orderCreated.deliveryId?.(good)).toBe(`woocommerce-order-${order.id}-created`);

    const ping = delivery({ 'content-type': 'application/x-www-form-urlencoded' }, 'webhook_id=3');
    expect(orderCreated.verify(ping, secret)).toBe(true);
    expect(orderCreated.parse(ping)).toBeUndefined();
    expect(orderCreated.verify(delivery({}, 'webhook_id=3&x=1'), secret)).toBe(false);
    expect(
      orderCreated.parse(delivery({ ...signed.headers, 'x-wc-webhook-topic': 'order.updated' }, signed.body)),
    ).toBeUndefined();

    expect(orderCreated.matches?.({ statuses: ['processing'] }, data)).toBe(order.status === 'processing');
    expect(orderCreated.matches?.({ minTotal: 100 }, data)).toBe(false);
    expect(orderCreated.matches?.({ minTotal: 10 }, data)).toBe(true);
  });

  it('orderCreated registers its webhook (reusing one for the same URL with the new secret) and deletes it', async () => {
    const subscription = orderCreated.subscription;
    if (!subscription) throw new Error('no subscription');
    const parsed = WoocommerceCredential.parse(credential());
    const ctx = {
      credential: parsed,
      client: woocommerceConnector.createClient({ credential: parsed, env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const url = 'http://127.0.0.1:9/hooks/wf_123';
    const created = await subscription.create(ctx, {}, { url, secret: 'first-secret-0123' });
    expect(fake.webhooks()).toEqual([
      expect.objectContaining({
        id: Number(created.id),
        topic: 'order.created',
        delivery_url: url,
        secret: 'first-secret-0123',
      }),
    ]);
    expect(fake.pings.at(-1)?.url).toBe(url);
    const again = await subscription.create(ctx, {}, { url, secret: 'second-secret-0123' });
    expect(again.id).toBe(created.id);
    expect(fake.webhooks()).toHaveLength(1);
    expect(fake.webhooks()[0]?.secret).toBe('second-secret-0123');
    await subscription.delete(ctx, {}, { id: created.id });
    expect(fake.webhooks()).toEqual([]);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', query: { force: 'true' } });
    await subscription.delete(ctx, {}, { id: created.id });
  });

  it('a revoked key is E_AUTH with how to store a new one; testCredential says so too', async () => {
    const stale = WoocommerceCredential.parse(credential());
    const check = () =>
      woocommerceConnector.testCredential?.({
        credential: stale,
        client: woocommerceConnector.createClient({ credential: stale, env }),
        signal: new AbortController().signal,
      });
    expect(await check()).toContain('accepts');
    fake.revoke();
    const error = await runError('listProducts', {}, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as Error).message).toContain('Consumer secret is invalid');
    expect((error as { hint: string }).hint).toContain('--type woocommerce');
    await expect(check()).rejects.toMatchObject({ code: 'E_AUTH' });
    expect(
      WoocommerceCredential.safeParse({ ...credential(), siteUrl: 'http://shop.example.com' }).success,
    ).toBe(false);
  });

  it('the shop address from the credential goes through the guarded fetch: internal addresses are refused', async () => {
    const error = await runActionError(
      woocommerceConnector,
      'listOrders',
      {},
      {
        env: { ...env, baseUrls: {}, fetch: createSafeFetch() },
        credential: { ...credential(), siteUrl: 'https://192.168.0.10/shop' },
      },
    );
    expect(error).toMatchObject({ code: 'E_BLOCKED_DESTINATION' });
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(woocommerceConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...woocommerceConnector.actions.map((action) => action.key),
      ...woocommerceConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});
