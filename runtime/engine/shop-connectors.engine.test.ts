import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SalesforceFake, startSalesforceFake } from '../../connectors/salesforce/fake-server.ts';
import { type ShopifyFake, startShopifyFake } from '../../connectors/shopify/fake-server.ts';
import { type StripeFake, startStripeFake } from '../../connectors/stripe/fake-server.ts';
import { signStripePayload } from '../../connectors/stripe/webhook.ts';
import { startWebsearchFake, type WebsearchFake } from '../../connectors/websearch/fake-server.ts';
import { waitForRun } from '../store/run-store.ts';
import { subscriptionView } from '../triggers/subscriptions.ts';
import { startRun } from './engine.ts';
import { type ConnectorEngine, startConnectorEngine } from './testing/connector-engine.ts';

// The shop connectors (stripe, shopify, salesforce, websearch) through the real worker, HTTP server and Postgres
// against their vendor fakes: actions end to end, a self-registering webhook trigger whose vendor-made signing
// secret verifies real deliveries, and a poll trigger that fires a run for a record created after activation.

let harness: ConnectorEngine;
let db: ConnectorEngine['db'];
let engine: ConnectorEngine['engine'];
let publicUrl = '';
let stripe: StripeFake;
let shopify: ShopifyFake;
let salesforce: SalesforceFake;
let websearch: WebsearchFake;
const api = (method: string, path: string, body?: unknown) => harness.api(method, path, body);
const storedRun = (runId: string) => harness.storedRecords(runId);

const runsOf = async (workflowId: string) =>
  (await db.sql`select id from runs where workflow_id = ${workflowId} order by created_at`).map((row) =>
    String(row.id),
  );

beforeAll(async () => {
  [stripe, shopify, salesforce, websearch] = await Promise.all([
    startStripeFake(),
    startShopifyFake(),
    startSalesforceFake(),
    startWebsearchFake(),
  ]);
  harness = await startConnectorEngine({
    keySeed: 7,
    baseUrls: {
      stripe: stripe.url,
      shopify: shopify.url,
      salesforce: salesforce.url,
      websearch: websearch.url,
    },
  });
  ({ db, engine, publicUrl } = harness);
  const { credentials } = harness;
  await credentials.set('stripe', 'stripe', { secretKey: stripe.secretKey });
  await credentials.set('search', 'websearch', { provider: 'tavily', apiKey: websearch.keys.tavily });
  await credentials.set('sf', 'salesforce', {
    instanceUrl: 'https://acme.my.salesforce.com',
    accessToken: salesforce.accessToken,
  });
  await credentials.set('shop', 'shopify', {
    shop: shopify.shop,
    accessToken: shopify.accessToken,
    clientSecret: shopify.clientSecret,
  });
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  await Promise.all([stripe?.close(), shopify?.close(), salesforce?.close(), websearch?.close()]);
});

describe('stripe through the engine', () => {
  it('creates a customer and a payment link for them in one run; the key is not in the run record', async () => {
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'onboard buyer',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'customer',
          uses: 'stripe.createCustomer',
          credential: 'stripe',
          with: { email: '{{ trigger.email }}', metadata: { source: 'engine-test' } },
        },
        {
          id: 'link',
          uses: 'stripe.createPaymentLink',
          credential: 'stripe',
          with: {
            lineItems: [{ price: stripe.priceId, quantity: 1 }],
            metadata: { customer: '{{ steps.customer.output.id }}' },
          },
        },
      ],
      edges: [{ from: 'customer', to: 'link' }],
    });
    const { runId } = await startRun(db.sql, id, { email: 'engine@example.com' });
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    const customer = stripe.customers().find((stored) => stored.email === 'engine@example.com');
    expect(customer).toBeDefined();
    const linkRequest = stripe.requests.find((request) => request.path === '/v1/payment_links');
    expect(linkRequest?.body).toMatchObject({ 'metadata[customer]': customer?.id });
    const customerRequest = stripe.requests.find((request) => request.path === '/v1/customers');
    expect(linkRequest?.headers['idempotency-key']).toEqual(expect.any(String));
    expect(linkRequest?.headers['idempotency-key']).not.toBe(customerRequest?.headers['idempotency-key']);
    const stored = await storedRun(runId);
    expect(stored).toContain('buy.stripe.com');
    expect(stored).not.toContain(stripe.secretKey);
  });

  it('stripe.event registers its webhook endpoint on activation, runs on a signed event, refuses a forged one, and unregisters', async () => {
    const created = await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'paid invoices',
        trigger: { type: 'stripe.event', credential: 'stripe', with: { events: ['invoice.paid'] } },
        nodes: [{ id: 'note', uses: 'core.transform', with: { value: 'paid {{ trigger.objectId }}' } }],
        edges: [],
      },
    });
    const id = String(created.id);
    await api('POST', `/api/workflows/${id}/activate`, {});
    const hookUrl = `${publicUrl}/hooks/${id}`;
    await expect
      .poll(() => stripe.endpoints().find((endpoint) => endpoint.url === hookUrl)?.enabled_events, {
        timeout: 20_000,
        interval: 50,
      })
      .toEqual(['invoice.paid']);
    // The hook secret is stored once the vendor's answer is in: deliveries before that are refused.
    await expect
      .poll(async () => (await subscriptionView(db.sql, id))?.status, { timeout: 20_000 })
      .toBe('active');
    const endpoint = stripe.endpoints().find((candidate) => candidate.url === hookUrl);

    // A delivery signed with another secret starts nothing.
    const forged = await fetch(hookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'ab'.repeat(32)}`,
      },
      body: JSON.stringify({
        id: 'evt_forged',
        object: 'event',
        type: 'invoice.paid',
        created: 1,
        livemode: false,
        data: { object: { id: 'in_forged' } },
      }),
    });
    expect(forged.status).toBe(401);

    const [delivered] = await stripe.sendEvent('invoice.paid', {
      id: 'in_engine1',
      object: 'invoice',
      amount_paid: 4200,
    });
    expect(delivered?.status).toBe(202);
    await expect.poll(() => runsOf(id), { timeout: 20_000 }).toHaveLength(1);
    const [runId] = await runsOf(id);
    const view = await waitForRun(db.sql, runId ?? '', { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(view.steps[0]?.output).toBe('paid in_engine1');
    // Another type is filtered out by the endpoint itself; the signing secret never reaches the run record.
    expect(await stripe.sendEvent('charge.refunded', { id: 'ch_1' })).toEqual([]);
    const stored = await storedRun(runId ?? '');
    expect(stored).not.toContain(String(endpoint?.secret));
    expect(stored).not.toContain(stripe.secretKey);

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await expect
      .poll(() => stripe.endpoints().filter((candidate) => candidate.url === hookUrl).length, {
        timeout: 20_000,
      })
      .toBe(0);
  });
});

describe('a stripe.event webhook set up by hand (no trigger credential)', () => {
  it('verifies deliveries with the signing secret stored as the hook secret', async () => {
    const created = await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'manual stripe hook',
        trigger: { type: 'stripe.event', with: { events: ['checkout.session.completed'] } },
        nodes: [
          {
            id: 'note',
            uses: 'core.transform',
            with: { value: '{{ trigger.type }} {{ trigger.objectId }}' },
          },
        ],
        edges: [],
      },
    });
    const id = String(created.id);
    await api('POST', `/api/workflows/${id}/activate`, {});
    const signingSecret = 'whsec_manualDashboardSecret0123456789';
    await api('PUT', `/api/workflows/${id}/hook-secret`, { secret: signingSecret });
    const deliver = async (type: string, secret: string) => {
      const body = JSON.stringify({
        id: `evt_manual_${type}`,
        object: 'event',
        type,
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        data: { object: { id: 'cs_test_manual', object: 'checkout.session' } },
      });
      const response = await fetch(`${publicUrl}/hooks/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(body, secret) },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    };
    expect(await deliver('checkout.session.completed', 'whsec_notTheRightOne0123456789')).toBe(401);
    expect(await deliver('checkout.session.completed', signingSecret)).toBe(202);
    // Another event type passes the signature but not the filter: no run.
    expect(await deliver('invoice.paid', signingSecret)).not.toBe(401);
    await expect.poll(() => runsOf(id), { timeout: 20_000 }).toHaveLength(1);
    const [runId] = await runsOf(id);
    const view = await waitForRun(db.sql, runId ?? '', { timeoutMs: 30_000 });
    expect(view.steps[0]?.output).toBe('checkout.session.completed cs_test_manual');
    expect(await storedRun(runId ?? '')).not.toContain(signingSecret);
    await api('POST', `/api/workflows/${id}/deactivate`, {});
  });
});

describe('shopify through the engine', () => {
  it('shopify.orderCreated registers its webhook, a signed new order fulfills itself, a forged one is refused', async () => {
    const created = await api('POST', '/api/workflows', {
      document: {
        schemaVersion: 1,
        name: 'ship paid orders',
        trigger: { type: 'shopify.orderCreated', credential: 'shop', with: { financialStatus: ['paid'] } },
        nodes: [
          {
            id: 'ship',
            uses: 'shopify.createFulfillment',
            credential: 'shop',
            with: {
              orderId: '{{ trigger.order.id }}',
              trackingNumber: 'TRACK-{{ trigger.order.name }}',
              notifyCustomer: false,
            },
          },
        ],
        edges: [],
      },
    });
    const id = String(created.id);
    await api('POST', `/api/workflows/${id}/activate`, {});
    const hookUrl = `${publicUrl}/hooks/${id}`;
    await expect
      .poll(() => shopify.webhooks().find((hook) => hook.address === hookUrl)?.topic, {
        timeout: 20_000,
        interval: 50,
      })
      .toBe('orders/create');

    // The hook secret is stored once the vendor's answer is in: deliveries before that are refused.
    await expect
      .poll(async () => (await subscriptionView(db.sql, id))?.status, { timeout: 20_000 })
      .toBe('active');
    const forged = await fetch(hookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-hmac-sha256': Buffer.alloc(32).toString('base64'),
      },
      body: JSON.stringify({
        id: 1,
        name: '#1',
        created_at: '2026-12-04T10:00:00Z',
        currency: 'EUR',
        total_price: '1.00',
      }),
    });
    expect(forged.status).toBe(401);

    const { order, deliveries } = await shopify.placeOrder();
    expect(deliveries.map((delivery) => delivery.status)).toEqual([202]);
    await expect.poll(() => runsOf(id), { timeout: 20_000 }).toHaveLength(1);
    const [runId] = await runsOf(id);
    const view = await waitForRun(db.sql, runId ?? '', { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(shopify.fulfillments().at(-1)).toMatchObject({
      order_id: order.id,
      tracking_number: `TRACK-${String(order.name)}`,
    });
    const stored = await storedRun(runId ?? '');
    expect(stored).not.toContain(shopify.accessToken);
    expect(stored).not.toContain(shopify.clientSecret);

    await api('POST', `/api/workflows/${id}/deactivate`, {});
    await expect
      .poll(() => shopify.webhooks().filter((hook) => hook.address === hookUrl).length, { timeout: 20_000 })
      .toBe(0);
  });
});

describe('salesforce through the engine', () => {
  it('salesforce.recordCreated polls with the trigger credential and fires a run that queries and updates the lead', async () => {
    const [lead] = salesforce.seed('Lead', 1, () => ({
      LastName: 'Lima',
      Company: 'Acme',
      Email: "ana'o@example.com",
    }));
    salesforce.seed('Contact', 1, () => ({ LastName: 'Lima', Email: "ana'o@example.com" }));
    const { id } = await engine.workflows.create(
      {
        schemaVersion: 1,
        name: 'work new leads',
        trigger: {
          type: 'salesforce.recordCreated',
          credential: 'sf',
          with: { sobject: 'Lead', fields: ['LastName', 'Email'], intervalSeconds: 3600, backfill: 1 },
        },
        nodes: [
          {
            id: 'contact',
            uses: 'salesforce.query',
            credential: 'sf',
            with: {
              soql: 'SELECT Id, Email FROM Contact WHERE Email = :email',
              params: { email: '{{ trigger.fields.Email }}' },
            },
          },
          {
            id: 'work',
            uses: 'salesforce.updateRecord',
            credential: 'sf',
            with: { sobject: 'Lead', recordId: '{{ trigger.id }}', fields: { Status: 'Working' } },
          },
        ],
        edges: [{ from: 'contact', to: 'work' }],
      },
      {},
      { activate: true },
    );
    await expect.poll(() => runsOf(id), { timeout: 20_000 }).toHaveLength(1);
    const [runId] = await runsOf(id);
    const view = await waitForRun(db.sql, runId ?? '', { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(view.steps.find((step) => step.id === 'contact')?.output).toMatchObject({ totalSize: 1 });
    expect(salesforce.records('Lead').find((record) => record.Id === lead?.Id)?.Status).toBe('Working');
    const polls = salesforce.requests.filter(
      (request) => request.path.endsWith('/query') && String(request.query.q).includes('FROM Lead'),
    );
    expect(polls[0]?.headers.authorization).toBe(`Bearer ${salesforce.accessToken}`);
    const stored = await storedRun(runId ?? '');
    expect(stored).toContain(String(lead?.Id));
    expect(stored).not.toContain(salesforce.accessToken);
    await engine.workflows.deactivate(id);
  });

  it('refuses a workflow whose SOQL is an expression', () => {
    const report = engine.workflows.validate({
      schemaVersion: 1,
      name: 'injected',
      trigger: { type: 'manual' },
      nodes: [{ id: 'q', uses: 'salesforce.query', credential: 'sf', with: { soql: '{{ trigger.soql }}' } }],
      edges: [],
    });
    expect(report.valid).toBe(false);
    expect(report.errors.map((issue) => issue.path)).toContain('/nodes/0/with/soql');
  });
});

describe('websearch through the engine', () => {
  it('searches with the Tavily key and reads a page through the guarded fetch; the key is not in the run record', async () => {
    websearch.page('/pages/about', {
      body: '<html><head><title>About us</title></head><body><nav>Menu</nav><main><p>We build workflow tools.</p></main></body></html>',
    });
    const { id } = await engine.workflows.create({
      schemaVersion: 1,
      name: 'research',
      trigger: { type: 'manual' },
      nodes: [
        {
          id: 'search',
          uses: 'websearch.search',
          credential: 'search',
          with: { query: '{{ trigger.topic }}', count: 2 },
        },
        { id: 'read', uses: 'websearch.fetchPage', with: { url: '{{ trigger.page }}', maxChars: 500 } },
      ],
      edges: [{ from: 'search', to: 'read' }],
    });
    const { runId } = await startRun(db.sql, id, {
      topic: 'velocitymesh',
      page: `${websearch.url}/pages/about`,
    });
    const view = await waitForRun(db.sql, runId, { timeoutMs: 30_000 });
    expect(view.status, JSON.stringify(view.steps)).toBe('succeeded');
    expect(view.steps.find((step) => step.id === 'search')?.output).toMatchObject({
      provider: 'tavily',
      results: [{ url: 'https://velocitymesh.example/' }, { url: 'https://velocitymesh.example/pricing' }],
    });
    expect(view.steps.find((step) => step.id === 'read')?.output).toMatchObject({
      title: 'About us',
      text: 'We build workflow tools.',
    });
    const stored = await storedRun(runId);
    expect(stored).not.toContain(websearch.keys.tavily);
  });
});
