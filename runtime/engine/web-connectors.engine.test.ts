import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exchangeOAuth2Code, OAuth2Credential } from '../../connectors/index.ts';
import { type SupabaseFake, startSupabaseFake } from '../../connectors/supabase/fake-server.ts';
import { startWoocommerceFake, type WoocommerceFake } from '../../connectors/woocommerce/fake-server.ts';
import { startWordpressFake, type WordpressFake } from '../../connectors/wordpress/fake-server.ts';
import { startXFake, type XFake } from '../../connectors/x/fake-server.ts';
import { xOAuthProvider } from '../../connectors/x/oauth-provider.ts';
import { waitForRun } from '../store/run-store.ts';
import { startRun } from './engine.ts';
import { type ConnectorEngine, startConnectorEngine } from './testing/connector-engine.ts';

// The wordpress, x, supabase and woocommerce connectors through the real worker, HTTP server and Postgres against
// their vendor fakes: one workflow using all four; woocommerce.orderCreated started by a signed delivery to the
// hook URL set up by hand; and the same trigger registering its webhook at the shop on activation, the shop's
// ping and its order.created delivery coming in through the production route.

let harness: ConnectorEngine;
let db: ConnectorEngine['db'];
let engine: ConnectorEngine['engine'];
let publicUrl = '';
let credentials: ConnectorEngine['credentials'];
let wordpress: WordpressFake;
let x: XFake;
let supabase: SupabaseFake;
let shop: WoocommerceFake;
const api = (method: string, path: string, body?: unknown) => harness.api(method, path, body);
const storedRecords = (runId: string) => harness.storedRecords(runId);

beforeAll(async () => {
  [wordpress, x, supabase, shop] = await Promise.all([
    startWordpressFake(),
    startXFake(),
    startSupabaseFake(),
    startWoocommerceFake(),
  ]);
  harness = await startConnectorEngine({
    keySeed: 9,
    baseUrls: { wordpress: wordpress.url, x: x.url, supabase: supabase.url, woocommerce: shop.url },
  });
  ({ db, engine, publicUrl, credentials } = harness);
  await credentials.set('blog', 'wordpress', {
    siteUrl: 'https://blog.example.com',
    username: wordpress.username,
    applicationPassword: wordpress.applicationPassword,
  });
  await credentials.set('x-account', 'x', { token: x.token });
  await credentials.set('db', 'supabase', {
    projectUrl: 'https://abcdefghij.supabase.co',
    apiKey: supabase.serviceKey,
  });
  await credentials.set('shop', 'woocommerce', {
    siteUrl: 'https://shop.example.com',
    consumerKey: shop.consumerKey,
    consumerSecret: shop.consumerSecret,
  });
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  await Promise.all([wordpress?.close(), x?.close(), supabase?.close(), shop?.close()]);
});

const SECRETS = () => [
  wordpress.applicationPassword,
  Buffer.from(`${wordpress.username}:${wordpress.applicationPassword}`).toString('base64'),
  x.token,
  supabase.serviceKey,
  shop.consumerKey,
  shop.consumerSecret,
];

describe('wordpress, x, supabase and woocommerce through the engine', () => {
  it('reads a shop order, stores it in Supabase, drafts a blog post and posts on X; no secret in the run record', async () => {
    shop.seedOrders(1);
    const order = shop.orders().at(-1);
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'order to everywhere',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'order',
          uses: 'woocommerce.getOrder',
          credential: 'shop',
          with: { orderId: '{{ trigger.orderId }}' },
        },
        {
          id: 'store',
          uses: 'supabase.insertRows',
          credential: 'db',
          with: {
            table: 'orders',
            rows: [{ email: '{{ steps.order.output.email }}', total: '{{ steps.order.output.total }}' }],
          },
        },
        {
          id: 'post',
          uses: 'wordpress.createPost',
          credential: 'blog',
          with: {
            title: 'Order {{ steps.order.output.number }} from {{ steps.order.output.shippingCity }}',
            content: '<p>{{ steps.order.output.lineItems[0].name }}</p>',
          },
        },
        {
          id: 'tweet',
          uses: 'x.createPost',
          credential: 'x-account',
          with: { text: 'Another hoodie is on its way to {{ steps.order.output.shippingCity }}!' },
        },
      ],
      edges: [
        { from: 'order', to: 'store' },
        { from: 'store', to: 'post' },
        { from: 'post', to: 'tweet' },
      ],
    });
    const { runId } = await startRun(db.sql, id, { orderId: order?.id });
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(supabase.rows('orders').at(-1)).toMatchObject({ email: 'ana@example.com', total: '49.90' });
    expect(wordpress.posts().at(-1)).toMatchObject({
      status: 'draft',
      title: { raw: `Order ${order?.id} from Lisbon` },
    });
    expect(x.posts().at(-1)?.text).toBe('Another hoodie is on its way to Lisbon!');
    const stored = await storedRecords(runId);
    expect(stored).toContain('Lisbon');
    for (const secret of SECRETS()) expect(stored).not.toContain(secret);
  });

  it('orderCreated set up by hand: a signed delivery starts one run, the ping and a bad signature start none', async () => {
    const created = await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'big orders',
        trigger: { type: 'woocommerce.orderCreated', with: { minTotal: 10 } },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger }}' } }],
        edges: [],
      },
    });
    const id = String(created.id);
    await api('POST', `/api/workflows/${id}/activate`, {});
    const hook = z
      .object({ hook: z.object({ url: z.string(), secret: z.string() }) })
      .parse(await api('GET', `/api/workflows/${id}`)).hook;
    const url = `${publicUrl}/hooks/${id}`;
    expect(hook.url).toBe(url);

    const ping = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'webhook_id=77',
    });
    expect(ping.status).toBeLessThan(300);
    shop.seedOrders(1);
    const order = shop.orders().at(-1);
    if (!order) throw new Error('no order');
    const wrong = shop.orderDelivery(order, 'not-the-hook-secret', 77);
    expect((await fetch(url, { method: 'POST', headers: wrong.headers, body: wrong.body })).status).toBe(401);

    const delivery = shop.orderDelivery(order, hook.secret, 77);
    const answer = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
    expect(answer.status).toBe(202);
    const { runId } = z.object({ runId: z.string() }).parse(await answer.json());
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status).toBe('succeeded');
    expect(view.steps.find((step) => step.id === 'seen')?.output).toMatchObject({
      id: order.id,
      total: '49.90',
      email: 'ana@example.com',
    });
    // WooCommerce retries a delivery it got no 2xx for: the same order starts no second run.
    const again = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
    expect(z.object({ runId: z.string() }).parse(await again.json()).runId).toBe(runId);
    const runs = await db.sql`select id from runs where workflow_id = ${id}`;
    expect(runs).toHaveLength(1);
    await api('POST', `/api/workflows/${id}/deactivate`, {});
  });

  it('orderCreated with a credential registers its webhook, gets the ping and a real delivery, and removes it', async () => {
    const created = await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'new orders, self-registered',
        trigger: { type: 'woocommerce.orderCreated', credential: 'shop', with: { statuses: ['processing'] } },
        nodes: [{ id: 'seen', uses: 'core.transform', with: { value: '{{ trigger.number }}' } }],
        edges: [],
      },
    });
    const id = String(created.id);
    await api('POST', `/api/workflows/${id}/activate`, {});
    const url = `${publicUrl}/hooks/${id}`;
    await expect
      .poll(() => shop.webhooks().find((webhook) => webhook.delivery_url === url)?.topic, {
        timeout: 20_000,
        interval: 50,
      })
      .toBe('order.created');
    // The fake lists the webhook before its ping to the delivery URL has been answered.
    await expect
      .poll(() => shop.pings.find((ping) => ping.url === url)?.status ?? 999, {
        timeout: 20_000,
        interval: 50,
      })
      .toBeLessThan(300);

    const { order, deliveries } = await shop.placeOrder({ status: 'processing' });
    const delivered = deliveries.find((entry) => entry.url === url);
    expect(delivered?.status).toBe(202);
    const { runId } = z.object({ runId: z.string() }).parse(JSON.parse(delivered?.body ?? '{}'));
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status).toBe('succeeded');
    expect(view.steps.find((step) => step.id === 'seen')?.output).toBe(String(order.id));
    const stored = await storedRecords(runId);
    for (const secret of SECRETS()) expect(stored).not.toContain(secret);

    // An order the filters leave out starts nothing.
    const skipped = await shop.placeOrder({ status: 'on-hold' });
    expect(skipped.deliveries.find((entry) => entry.url === url)?.status).toBeLessThan(300);
    expect(await db.sql`select id from runs where workflow_id = ${id}`).toHaveLength(1);

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await expect
      .poll(() => shop.webhooks().some((webhook) => webhook.delivery_url === url), {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(false);
  });

  it('x.createPost with an oauth2 credential of the x preset: an expired token is renewed at X’s token endpoint', async () => {
    const verifier = 'w'.repeat(43);
    const connected = await exchangeOAuth2Code(
      {
        provider: 'x',
        authorizeUrl: xOAuthProvider.authorizeUrl,
        tokenUrl: x.oauth.tokenUrl,
        clientId: x.oauth.clientId,
        clientSecret: x.oauth.clientSecret,
        scopes: [...xOAuthProvider.scopes],
      },
      {
        code: x.oauth.issueCode(createHash('sha256').update(verifier).digest('base64url')),
        verifier,
        redirectUri: `${publicUrl}/oauth/callback`,
      },
      { fetch: globalThis.fetch, signal: AbortSignal.timeout(10_000), now: new Date() },
      xOAuthProvider,
    );
    await credentials.set('x-oauth', 'oauth2', {
      ...connected,
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'post with oauth2',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'tweet',
          uses: 'x.createPost',
          credential: 'x-oauth',
          retry: { maxAttempts: 1 },
          with: { text: 'Renewed!' },
        },
      ],
      edges: [],
    });
    const { runId } = await startRun(db.sql, id, {});
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const renewed = OAuth2Credential.parse((await credentials.get('x-oauth', { recordUse: false }))?.secret);
    expect(renewed.accessToken).not.toBe(connected.accessToken);
    expect(renewed.refreshToken).not.toBe(connected.refreshToken);
    expect(x.requests.at(-1)?.headers.authorization).toBe(`Bearer ${renewed.accessToken}`);
    const stored = await storedRecords(runId);
    for (const secret of [
      connected.accessToken,
      renewed.accessToken,
      renewed.refreshToken ?? '',
      x.oauth.clientSecret,
    ])
      expect(stored).not.toContain(secret);
  });
});
