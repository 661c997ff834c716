import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import type { WebhookTriggerDefinition } from '../sdk/define.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { STRIPE_VERSION, stripeForm } from './client.ts';
import { stripeConnector } from './connector.ts';
import { type StripeFake, startStripeFake, stripeError } from './fake-server.ts';
import { event } from './triggers/event.ts';
import { signStripePayload, verifyStripeSignature } from './webhook.ts';

let fake: StripeFake;
let env: ReturnType<typeof createTestEnvironment>;
const credential = () => ({ secretKey: fake.secretKey });
type Options = { idempotencyKey?: string; credential?: unknown };

beforeAll(async () => {
  fake = await startStripeFake();
  env = createTestEnvironment({ stripe: fake.url });
});
afterAll(async () => {
  await fake.close();
});

let step = 0;
/** A new step (its own idempotency key) unless the test gives the key a retry would reuse. */
const defaults = () => ({ env, credential: credential(), idempotencyKey: `run-t:step-${++step}:0` });
const run = (key: string, input: unknown, options: Options = {}) =>
  runAction(stripeConnector, key, input, { ...defaults(), ...options });
const runError = (key: string, input: unknown, options: Options = {}) =>
  runActionError(stripeConnector, key, input, { ...defaults(), ...options });
const lastRequest = () => fake.requests.at(-1);

describe('stripe form encoding', () => {
  it('flattens nested objects and arrays into bracketed keys', () => {
    expect(
      stripeForm({
        email: 'a@b.c',
        metadata: { orderId: '1042' },
        line_items: [{ price: 'price_1', quantity: 2 }],
        skipped: undefined,
        cleared: null,
      }),
    ).toEqual({
      email: 'a@b.c',
      'metadata[orderId]': '1042',
      'line_items[0][price]': 'price_1',
      'line_items[0][quantity]': 2,
      cleared: '',
    });
  });
});

describe('stripe connector against the Stripe API fake', () => {
  it('creates a customer form-encoded with the key, version and idempotency key; a retry returns the same one', async () => {
    const input = { email: 'ana@example.com', name: 'Ana Lima', metadata: { orderId: '1042' } };
    const customer = (await run('createCustomer', input, { idempotencyKey: 'run-c:cust:0' })) as {
      id: string;
    };
    expect(customer).toMatchObject({
      email: 'ana@example.com',
      name: 'Ana Lima',
      metadata: { orderId: '1042' },
    });
    expect(customer.id).toMatch(/^cus_/);
    const sent = lastRequest();
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.secretKey}`);
    expect(sent?.headers['stripe-version']).toBe(STRIPE_VERSION);
    expect(sent?.headers['idempotency-key']).toBe('run-c:cust:0');
    expect(sent?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent?.body).toEqual({ email: 'ana@example.com', name: 'Ana Lima', 'metadata[orderId]': '1042' });
    const again = (await run('createCustomer', input, { idempotencyKey: 'run-c:cust:0' })) as { id: string };
    expect(again.id).toBe(customer.id);
    expect(fake.customers().filter((stored) => stored.email === 'ana@example.com')).toHaveLength(1);

    const found = (await run('listCustomers', { email: 'ana@example.com' })) as {
      customers: { id: string }[];
    };
    expect(found.customers.map((listed) => listed.id)).toEqual([customer.id]);
    expect(lastRequest()?.query).toMatchObject({ email: 'ana@example.com', limit: '100' });
  });

  it('the same idempotency key with other parameters is an E_REQUEST naming idempotency', async () => {
    await run('createCustomer', { email: 'x@example.com' }, { idempotencyKey: 'run-i:c:0' });
    const error = await runError(
      'createCustomer',
      { email: 'y@example.com' },
      { idempotencyKey: 'run-i:c:0' },
    );
    expect(error).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'idempotency_key_in_use' } });
  });

  it('makes a payment link for a price with a redirect after payment', async () => {
    const link = await run('createPaymentLink', {
      lineItems: [{ price: fake.priceId, quantity: 2 }],
      redirectUrl: 'https://example.com/thanks',
      metadata: { campaign: 'winter' },
    });
    expect(link).toMatchObject({
      id: expect.stringMatching(/^plink_/),
      url: expect.stringMatching(/^https:\/\/buy\.stripe\.com\//),
      active: true,
    });
    expect(lastRequest()?.body).toEqual({
      'line_items[0][price]': fake.priceId,
      'line_items[0][quantity]': '2',
      'metadata[campaign]': 'winter',
      'after_completion[type]': 'redirect',
      'after_completion[redirect][url]': 'https://example.com/thanks',
    });
    const error = await runError('createPaymentLink', { lineItems: [{ price: 'price_nothere' }] });
    expect(error).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'resource_missing' } });
    expect((error as Error).message).toContain("No such price: 'price_nothere' (param line_items[0][price])");
    expect((error as { hint: string }).hint).toContain('names nothing');
  });

  it('creates, fills, finalizes and sends an invoice; a retry after a lost answer makes no second invoice', async () => {
    const customer = (await run('createCustomer', { email: 'bill@example.com' })) as { id: string };
    const input = {
      customerId: customer.id,
      currency: 'eur',
      items: [
        { description: 'Consulting, November', unitAmount: 12000, quantity: 3 },
        { description: 'Travel', unitAmount: 4500 },
      ],
      sendEmail: true,
    };
    fake.fail('POST /v1/invoices/:id/send', {
      status: 502,
      body: stripeError('api_error', 'Bad gateway'),
      applyFirst: true,
    });
    const options = { idempotencyKey: 'run-inv:bill:0' };
    expect(await runError('createInvoice', input, options)).toMatchObject({
      code: 'E_UPSTREAM',
      retryable: true,
    });
    const invoice = (await run('createInvoice', input, options)) as { id: string };
    expect(invoice).toMatchObject({
      customerId: customer.id,
      status: 'open',
      amountDue: 40500,
      number: expect.stringMatching(/^VM-/),
    });
    expect(fake.invoices().filter((stored) => stored.customer === customer.id)).toHaveLength(1);
    expect(fake.invoiceItems().filter((item) => item.invoice === invoice.id)).toHaveLength(2);
    const keys = fake.requests
      .filter((request) => request.headers['idempotency-key']?.toString().startsWith('run-inv:bill:0'))
      .map((request) => `${request.path} ${String(request.headers['idempotency-key'])}`);
    expect(keys.slice(0, 5)).toEqual([
      '/v1/invoices run-inv:bill:0:invoice',
      '/v1/invoiceitems run-inv:bill:0:item:0',
      '/v1/invoiceitems run-inv:bill:0:item:1',
      `/v1/invoices/${invoice.id}/finalize run-inv:bill:0:finalize`,
      `/v1/invoices/${invoice.id}/send run-inv:bill:0:send`,
    ]);
    const draftRequest = fake.requests.find(
      (request) => request.headers['idempotency-key'] === 'run-inv:bill:0:invoice',
    );
    expect(draftRequest?.body).toMatchObject({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: '30',
      auto_advance: 'false',
    });
  });

  it('lists charges over starting_after pages and refunds one once', async () => {
    const charges = fake.seedCharges(230, 'cus_pagedCustomer');
    const before = fake.requests.length;
    const listed = (await run('listCharges', { customerId: 'cus_pagedCustomer', limit: 1000 })) as {
      charges: { id: string }[];
      truncated: boolean;
    };
    expect(listed.charges).toHaveLength(230);
    expect(listed.truncated).toBe(false);
    expect(listed.charges[0]?.id).toBe(charges.at(-1)?.id);
    const pages = fake.requests.slice(before).map((request) => request.query);
    expect(pages).toHaveLength(3);
    expect(pages[1]).toMatchObject({
      customer: 'cus_pagedCustomer',
      limit: '100',
      starting_after: listed.charges[99]?.id,
    });
    const capped = (await run('listCharges', { customerId: 'cus_pagedCustomer', limit: 150 })) as {
      charges: unknown[];
      truncated: boolean;
    };
    expect(capped).toMatchObject({ truncated: true });
    expect(capped.charges).toHaveLength(150);

    const target = charges[0];
    const refund = await run(
      'createRefund',
      { chargeId: target?.id, amount: 400, reason: 'requested_by_customer' },
      { idempotencyKey: 'run-r:refund:0' },
    );
    expect(refund).toMatchObject({ amount: 400, chargeId: target?.id, status: 'succeeded' });
    expect(lastRequest()?.body).toEqual({
      charge: target?.id,
      amount: '400',
      reason: 'requested_by_customer',
    });
    await run(
      'createRefund',
      { chargeId: target?.id, amount: 400, reason: 'requested_by_customer' },
      { idempotencyKey: 'run-r:refund:0' },
    );
    expect(fake.refunds().filter((stored) => stored.charge === target?.id)).toHaveLength(1);
    const tooMuch = await runError('createRefund', { chargeId: target?.id, amount: 99_999 });
    expect(tooMuch).toMatchObject({ code: 'E_REQUEST', details: { vendorCode: 'amount_too_large' } });
    expect((tooMuch as { hint: string }).hint).toContain('at most what is left');
    expect(await runError('createRefund', { amount: 5 })).toMatchObject({ code: 'E_PARAMS' });
  });

  it('a 429 rate_limit is retryable with a wait', async () => {
    fake.fail('GET /v1/charges', {
      status: 429,
      body: stripeError('invalid_request_error', 'Request rate limit exceeded.', { code: 'rate_limit' }),
    });
    expect(await runError('listCharges', {})).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 1000,
    });
    fake.fail('GET /v1/charges', {
      status: 429,
      headers: { 'retry-after': '3' },
      body: stripeError('invalid_request_error', 'Too many.', { code: 'rate_limit' }),
    });
    expect(await runError('listCharges', {})).toMatchObject({ code: 'E_RATE_LIMITED', retryAfterMs: 3000 });
  });

  it('a revoked key is E_AUTH with how to store a new one; testCredential says so too; the key is not in the error', async () => {
    const stale = credential();
    const check = (key: { secretKey: string }) =>
      stripeConnector.testCredential?.({
        credential: key,
        client: stripeConnector.createClient({ credential: key, env }),
        signal: new AbortController().signal,
      });
    expect(await check(stale)).toBe('Stripe accepts the key (test mode).');
    fake.revoke();
    const error = await runError('listCustomers', {}, { credential: stale });
    expect(error).toMatchObject({ code: 'E_AUTH', retryable: false });
    expect((error as { hint: string }).hint).toContain('--type stripe');
    expect(JSON.stringify(error)).not.toContain(stale.secretKey);
    await expect(check(stale)).rejects.toMatchObject({ code: 'E_AUTH' });
  });

  it('says where each write goes', () => {
    const target = (key: string, withValue: Record<string, unknown>) =>
      stripeConnector.actions.find((action) => action.key === key)?.describeTarget?.(withValue);
    expect(target('createRefund', { paymentIntentId: 'pi_123', amount: 500 })).toBe(
      "the Stripe payment 'pi_123', amount '500'",
    );
    expect(target('createCustomer', { email: '{{ trigger.email }}' })).toBe(
      "a new Stripe customer '{{ trigger.email }}'",
    );
    expect(target('createInvoice', { customerId: 'cus_1', currency: 'eur' })).toBe(
      "the Stripe customer 'cus_1', currency 'eur'",
    );
    expect(target('createPaymentLink', { lineItems: [{ price: 'price_1' }] })).toBe(
      "a new Stripe payment link for the price 'price_1'",
    );
  });

  it('documents every action and the trigger', async () => {
    const doc = await readFile(stripeConnector.docPath, 'utf8');
    expect(docSections(doc)).toEqual([
      ...stripeConnector.actions.map((action) => action.key),
      ...stripeConnector.triggers.map((trigger) => `trigger:${trigger.key}`),
    ]);
  });
});

describe('stripe.event', () => {
  const trigger = event as unknown as WebhookTriggerDefinition;
  const secret = 'whsec_test0123456789abcdef';
  const body = JSON.stringify({
    id: 'evt_123',
    object: 'event',
    type: 'invoice.paid',
    created: 1_764_840_000,
    livemode: false,
    data: { object: { id: 'in_123', object: 'invoice', amount_paid: 500 } },
  });
  const delivery = (signature: string | undefined, raw = body) => ({
    headers: signature ? { 'stripe-signature': signature } : {},
    rawBody: Buffer.from(raw),
    body: JSON.parse(raw) as unknown,
  });

  it('verifies Stripe-Signature over t.payload: any v1 may match, old timestamps and other bodies are refused', () => {
    const good = signStripePayload(body, secret);
    expect(trigger.verify(delivery(good), secret)).toBe(true);
    const [t, v1] = good.split(',');
    expect(trigger.verify(delivery(`${t},v1=${'0'.repeat(64)},${v1},v0=abc`), secret)).toBe(true);
    expect(trigger.verify(delivery(good), 'whsec_other')).toBe(false);
    expect(trigger.verify(delivery(good, body.replace('500', '501')), secret)).toBe(false);
    expect(trigger.verify(delivery(undefined), secret)).toBe(false);
    expect(trigger.verify(delivery(`${t}`), secret)).toBe(false);
    const stale = signStripePayload(body, secret, Date.now() - 301_000);
    expect(verifyStripeSignature(Buffer.from(body), stale, secret)).toBe(false);
    expect(
      verifyStripeSignature(Buffer.from(body), signStripePayload(body, secret, Date.now() - 290_000), secret),
    ).toBe(true);
  });

  it('parses the event, dedupes by its id and filters by type', () => {
    const data = trigger.parse(delivery(undefined));
    expect(data).toEqual({
      id: 'evt_123',
      type: 'invoice.paid',
      created: '2025-12-04T09:20:00.000Z',
      livemode: false,
      objectId: 'in_123',
      object: { id: 'in_123', object: 'invoice', amount_paid: 500 },
      previousAttributes: null,
    });
    expect(trigger.deliveryId?.(delivery(undefined))).toBe('evt_123');
    expect(trigger.matches?.(trigger.with.parse({ events: ['invoice.paid'] }), data)).toBe(true);
    expect(trigger.matches?.(trigger.with.parse({ events: ['charge.refunded'] }), data)).toBe(false);
    expect(trigger.matches?.(trigger.with.parse({}), data)).toBe(true);
    expect(trigger.parse({ headers: {}, rawBody: Buffer.from('{}'), body: { hello: 1 } })).toBeUndefined();
    expect(trigger.with.safeParse({ events: ['invoice paid'] }).success).toBe(false);
  });

  it('registers a webhook endpoint with the enabled events and keeps its signing secret; a retry leaves one; delete removes it', async () => {
    const key = { secretKey: fake.secretKey };
    const ctx = {
      credential: key,
      client: stripeConnector.createClient({ credential: key, env }),
      logger: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      env,
    };
    const filters = trigger.with.parse({ events: ['invoice.paid', 'checkout.session.completed'] });
    const hook = { url: 'https://vmesh.example/hooks/wf_1', secret: 'ours-unused' };
    const first = await trigger.subscription?.create(ctx, filters, hook);
    const second = await trigger.subscription?.create(ctx, filters, hook);
    const endpoints = fake.endpoints().filter((endpoint) => endpoint.url === hook.url);
    expect(endpoints).toHaveLength(1);
    expect(second).toEqual({ id: endpoints[0]?.id, secret: endpoints[0]?.secret });
    expect(first?.id).not.toBe(second?.id);
    expect(second?.secret).toMatch(/^whsec_/);
    const created = fake.requests
      .filter((request) => request.method === 'POST' && request.path === '/v1/webhook_endpoints')
      .at(-1);
    expect(created?.body).toEqual({
      url: hook.url,
      api_version: STRIPE_VERSION,
      description: 'VelocityMesh workflow trigger',
      'enabled_events[0]': 'invoice.paid',
      'enabled_events[1]': 'checkout.session.completed',
    });
    await trigger.subscription?.delete(ctx, filters, { id: second?.id ?? '' });
    expect(fake.endpoints().filter((endpoint) => endpoint.url === hook.url)).toHaveLength(0);
    await trigger.subscription?.delete(ctx, filters, { id: second?.id ?? '' });
  });
});
