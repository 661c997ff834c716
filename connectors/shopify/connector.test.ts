import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { WebhookTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { shopifyConnector } from './connector.ts';
import { type ShopifyFake, shopifyThrottled, startShopifyFake } from './fake-server.ts';
import { orderCreated } from './triggers/order-created.ts';
import { signShopifyPayload } from './webhook.ts';

let fake: ShopifyFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({
  shop: fake.shop,
  accessToken: fake.accessToken,
  clientSecret: fake.clientSecret,
});
type Options = { credential?: unknown };

beforeAll(async () => {
  fake = await startShopifyFake();
  env = createTestEnvironment({ shopify: fake.url });
});
afterAll(async () => {
  await fake.close();
});

const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(shopifyConnector, key, input, { env, credential: credential(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(shopifyConnector, key, input, { env, credential: credential(), ...options });
const lastRequest = () => fake.requests.at(-1);

describe('shopify connector against the Admin REST API fake', () => {
  it('gets an order with the access token header; a missing one is E_NOT_FOUND', async () => {
    const [order] = fake.seedOrders(1);
    const got = (await run('getOrder', { orderId: order?.id })) as Record<string, unknown>;
    expect(got).toMatchObject({
      id: String(order?.id),
      name: order?.name,
      financialStatus: 'paid',
      totalPrice: '59.90',
      customer: { firstName: 'Ana' },
      lineItems: [{ title: 'Winter jacket', quantity: 2, variantId: '39072856' }],
      shippingAddress: { city: 'Berlin', countryCode: 'DE' },
    });
    expect(lastRequest()?.path).toBe(`/admin/api/2024-10/orders/${order?.id}.json`);
    expect(lastRequest()?.headers['x-shopify-access-token']).toBe(fake.accessToken);
    const missing = await runError('getOrder', { orderId: 1 });
    expect(missing).toMatchObject({ code: 'E_NOT_FOUND', status: 404 });
    expect((missing as Error).message).toContain('Not Found');
    expect(await runError('getOrder', { orderId: '../shop' })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('lists orders newest first over Link page_info pages, sending the filters only on the first page', async () => {
    fake.seedOrders(300);
    const before = fake.requests.length;
    const listed = (await run('listOrders', { financialStatus: 'paid', limit: 520 })) as {
      orders: { id: string }[];
      truncated: boolean;
    };
    const all = fake.orders();
    expect(listed.orders[0]?.id).toBe(String(all.at(-1)?.id));
    expect(listed.orders.length).toBe(all.length);
    expect(listed.truncated).toBe(false);
    const pages = fake.requests.slice(before);
    expect(pages).toHaveLength(2);
    expect(pages[0]?.query).toEqual({ status: 'any', financial_status: 'paid', limit: '250' });
    expect(Object.keys(pages[1]?.query ?? {}).sort()).toEqual(['limit', 'page_info']);
    const capped = (await run('listOrders', { limit: 10 })) as { orders: unknown[]; truncated: boolean };
    expect(capped.orders).toHaveLength(10);
    expect(capped.truncated).toBe(true);
  });

  it('gets and lists products with variants and inventory items', async () => {
    const listed = (await run('listProducts', { status: 'active' })) as {
      products: { id: string; tags: string[] }[];
    };
    expect(listed.products.map((product) => product.id)).toEqual(['632910392', '632910393']);
    expect(listed.products[0]?.tags).toEqual(['winter', 'sale']);
    expect(lastRequest()?.query).toEqual({ status: 'active', limit: '250' });
    const product = await run('getProduct', { productId: '632910393' });
    expect(product).toMatchObject({
      title: 'Wool hat',
      variants: [{ sku: 'SKU-1-M', inventoryItemId: '808950811', inventoryQuantity: 10 }],
    });
  });

  it('sets an inventory level; an untracked item is a 422 with Shopify’s message', async () => {
    const level = await run('setInventoryLevel', {
      inventoryItemId: '808950810',
      locationId: fake.locationId,
      available: 42,
    });
    expect(level).toMatchObject({
      inventoryItemId: '808950810',
      locationId: String(fake.locationId),
      available: 42,
    });
    expect(lastRequest()?.body).toEqual({
      inventory_item_id: 808950810,
      location_id: fake.locationId,
      available: 42,
    });
    expect(fake.inventory(808950810, fake.locationId)).toBe(42);
    const error = await runError('setInventoryLevel', {
      inventoryItemId: 1,
      locationId: fake.locationId,
      available: 1,
    });
    expect(error).toMatchObject({ code: 'E_REQUEST', status: 422 });
    expect((error as Error).message).toContain('Inventory item does not have inventory tracking enabled');
    expect((error as { hint: string }).hint).toContain('change the field');
  });

  it('fulfills an order through its fulfillment orders with tracking; a second call finds nothing left', async () => {
    const [order] = fake.seedOrders(1);
    const [fo] = fake.fulfillmentOrders(Number(order?.id));
    const shipped = await run('createFulfillment', {
      orderId: order?.id,
      trackingNumber: '1Z999AA10123456784',
      trackingCompany: 'UPS',
      notifyCustomer: false,
    });
    expect(shipped).toMatchObject({
      orderId: String(order?.id),
      status: 'success',
      trackingNumber: '1Z999AA10123456784',
    });
    expect(lastRequest()?.body).toEqual({
      fulfillment: {
        line_items_by_fulfillment_order: [
          {
            fulfillment_order_id: fo?.id,
            fulfillment_order_line_items: [{ id: fo?.line_items[0]?.id, quantity: 2 }],
          },
        ],
        notify_customer: false,
        tracking_info: { number: '1Z999AA10123456784', company: 'UPS' },
      },
    });
    expect(fake.orders().find((candidate) => candidate.id === order?.id)?.fulfillment_status).toBe(
      'fulfilled',
    );
    const again = await runError('createFulfillment', { orderId: order?.id });
    expect(again).toMatchObject({ code: 'E_REQUEST' });
    expect((again as Error).message).toContain('nothing left to fulfill');
  });

  it('ships only the given line items and quantities', async () => {
    const [order] = fake.seedOrders(1);
    const lineItemId = String(order?.line_items[0]?.id);
    await run('createFulfillment', { orderId: order?.id, lineItems: [{ lineItemId, quantity: 1 }] });
    expect(fake.fulfillmentOrders(Number(order?.id))[0]?.line_items[0]?.fulfillable_quantity).toBe(1);
    expect(fake.orders().find((candidate) => candidate.id === order?.id)?.fulfillment_status).toBe('partial');
  });

  it('a 429 waits for Retry-After', async () => {
    fake.fail('GET /orders.json', shopifyThrottled);
    const error = await runError('listOrders', {});
    expect(error).toMatchObject({ code: 'E_RATE_LIMITED', retryable: true, retryAfterMs: 2000 });
    expect((error as Error).message).toContain('Exceeded 2 calls per second');
  });

  it('a full leaky bucket on a successful answer holds the credential back before Shopify answers 429', async () => {
    const waits: number[] = [];
    const watched = { ...env, reportRateLimit: async (waitMs: number) => void waits.push(waitMs) };
    fake.setCallLimit('39/40');
    await runAction(shopifyConnector, 'listProducts', {}, { env: watched, credential: credential() });
    fake.setCallLimit('12/40');
    await runAction(shopifyConnector, 'listProducts', {}, { env: watched, credential: credential() });
    expect(waits).toEqual([500]);
  });

  it('says where each write goes', () => {
    const target = (key: string, withValue: Record<string, unknown>) =>
      shopifyConnector.actions.find((action) => action.key === key)?.describeTarget?.(withValue);
    expect(target('setInventoryLevel', { inventoryItemId: '808950810', locationId: 655441491 })).toBe(
      "the Shopify inventory item '808950810', location '655441491'",
    );
    expect(target('createFulfillment', { orderId: '{{ trigger.order.id }}' })).toBe(
      "the Shopify order '{{ trigger.order.id }}'",
    );
  });

  it('a missing scope says which one to add', async () => {
    fake.fail('POST /inventory_levels/set.json', {
      status: 403,
      body: { errors: '[API] This action requires merchant approval for write_inventory scope.' },
    });
    const error = await runError('setInventoryLevel', {
      inventoryItemId: 808950810,
      locationId: fake.locationId,
      available: 1,
    });
    expect(error).toMatchObject({ code: 'E_AUTH' });
    expect((error as { hint: string }).hint).toContain('write_inventory');
  });

  it('an uninstalled app’s token is E_AUTH with how to store a new one; testCredential says so too', async () => {
    const stale = credential();
    const check = (value: typeof stale) =>
      shopifyConnector.testCredential?.({
        credential: value,
        client: shopifyConnector.createClient({ credential: value, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toContain('vmesh-test.myshopify.com');
    fake.revoke();
    const error = await runError('listProducts', {}, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as { hint: string }).hint).toContain('--type shopify');
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('refuses a shop that is not a myshopify.com domain', async () => {
    expect(
      await runError('listProducts', {}, { credential: { ...credential(), shop: 'evil.example.com' } }),
    ).toMatchObject({ code: 'E_CREDENTIAL' });
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(shopifyConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...shopifyConnector.actions.map((action) => action.key),
      ...shopifyConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});

describe('shopify.orderCreated', () => {
  const trigger = orderCreated as unknown as WebhookTriggerDefinition;
  const secret = 'shpss_0123456789abcdef0123456789abcdef';
  const order = {
    id: 820982911946154500,
    name: '#9999',
    email: 'jon@example.com',
    created_at: '2026-12-04T10:00:00-05:00',
    financial_status: 'paid',
    fulfillment_status: null,
    currency: 'USD',
    total_price: '403.00',
    tags: 'wholesale, vip',
    line_items: [
      {
        id: 866550311766439000,
        product_id: 632910392,
        variant_id: 808950810,
        title: 'IPod Nano',
        sku: 'IPOD',
        quantity: 1,
        price: '199.00',
      },
    ],
    shipping_address: null,
  };
  const raw = JSON.stringify(order);
  const delivery = (headers: Record<string, string>, body = raw) => ({
    headers: {
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 'acme.myshopify.com',
      ...headers,
    },
    rawBody: Buffer.from(body),
    body: JSON.parse(body) as unknown,
  });

  it('verifies the base64 HMAC of the raw body with the client secret', () => {
    const signature = signShopifyPayload(raw, secret);
    expect(trigger.verify(delivery({ 'x-shopify-hmac-sha256': signature }), secret)).toBe(true);
    expect(
      trigger.verify(delivery({ 'x-shopify-hmac-sha256': signature }), 'another-secret-0123456789'),
    ).toBe(false);
    expect(
      trigger.verify(delivery({ 'x-shopify-hmac-sha256': signature }, raw.replace('403.00', '1.00')), secret),
    ).toBe(false);
    expect(trigger.verify(delivery({}), secret)).toBe(false);
    expect(trigger.verify(delivery({ 'x-shopify-hmac-sha256': 'not base64!' }), secret)).toBe(false);
  });

  it('parses the order, dedupes by X-Shopify-Webhook-Id, ignores other topics and filters', () => {
    const data = trigger.parse(delivery({}));
    expect(data).toMatchObject({
      shop: 'acme.myshopify.com',
      order: { name: '#9999', tags: ['wholesale', 'vip'], totalPrice: '403.00' },
    });
    expect(
      trigger.deliveryId?.(delivery({ 'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' })),
    ).toBe('b54557e4-bdd9-4b37-8a5f-bf7d70bcd043');
    expect(trigger.parse(delivery({ 'x-shopify-topic': 'orders/updated' }))).toBeUndefined();
    expect(trigger.matches?.(trigger.with.parse({ financialStatus: ['paid'], tags: ['vip'] }), data)).toBe(
      true,
    );
    expect(trigger.matches?.(trigger.with.parse({ financialStatus: ['pending'] }), data)).toBe(false);
    expect(trigger.matches?.(trigger.with.parse({ tags: ['retail'] }), data)).toBe(false);
  });

  it('registers an orders/create webhook once, returns the client secret as signing secret, and deletes it', async () => {
    fake.revoke();
    const live = { shop: fake.shop, accessToken: fake.accessToken, clientSecret: fake.clientSecret };
    const ctx = {
      credential: live,
      client: shopifyConnector.createClient({ credential: live, env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const hook = { url: 'https://vmesh.example/hooks/wf_shop', secret: 'ours-unused' };
    const first = await trigger.subscription?.create(ctx, {}, hook);
    const second = await trigger.subscription?.create(ctx, {}, hook);
    expect(first).toEqual({ id: expect.any(String), secret: fake.clientSecret });
    expect(second).toEqual(first);
    expect(fake.webhooks()).toEqual([
      expect.objectContaining({ address: hook.url, topic: 'orders/create', format: 'json' }),
    ]);
    await trigger.subscription?.delete(ctx, {}, { id: first?.id ?? '' });
    expect(fake.webhooks()).toEqual([]);
    await trigger.subscription?.delete(ctx, {}, { id: first?.id ?? '' });
    const withoutSecret = { ...ctx, credential: { shop: live.shop, accessToken: live.accessToken } };
    await expect(trigger.subscription?.create(withoutSecret, {}, hook)).rejects.toMatchObject({
      code: 'E_CREDENTIAL',
    });
  });
});
