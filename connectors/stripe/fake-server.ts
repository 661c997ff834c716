import { createHash, randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  FailureQueue,
  type InjectedFailure,
  listenLocal,
  type RecordedRequest,
  recordRequest,
  sendFailure,
} from '../testing/fake-server.ts';
import { signStripePayload } from './webhook.ts';

type Obj = { id: string; created: number; [field: string]: unknown };
type Form = Record<string, string>;

export type StripeFake = {
  /** Give as env.baseUrls.stripe (the /v1 root). */
  url: string;
  secretKey: string;
  /** A price payment links may sell. */
  priceId: string;
  requests: RecordedRequest[];
  customers(): Obj[];
  invoices(): Obj[];
  invoiceItems(): Obj[];
  refunds(): Obj[];
  endpoints(): Obj[];
  /** Adds succeeded charges (newest last) and returns them. */
  seedCharges(count: number, customer?: string): Obj[];
  /** The key stops working, as after "Roll key" or deleting it in the Dashboard. */
  revoke(): void;
  /** Route keys: `POST /v1/customers`, `GET /v1/charges`, … Supports `applyFirst` for POSTs. */
  fail(route: string, failure: InjectedFailure): void;
  /** Sends an event to every enabled webhook endpoint that listens to its type, signed with that endpoint's secret. */
  sendEvent(type: string, object: Record<string, unknown>): Promise<{ url: string; status: number }[]>;
  close(): Promise<void>;
};

/** Stripe's error body. */
export function stripeError(type: string, message: string, extra: { code?: string; param?: string } = {}) {
  return {
    error: {
      type,
      message,
      ...(extra.code
        ? {
            code: extra.code,
            doc_url: `https://stripe.com/docs/error-codes/${extra.code.replace(/_/g, '-')}`,
          }
        : {}),
      ...(extra.param ? { param: extra.param } : {}),
    },
  };
}

const PAGE_MAX = 100;

/**
 * A local Stripe API (https://docs.stripe.com/api): bearer secret keys, form-encoded bodies with bracketed keys,
 * `Idempotency-Key` replay (and `idempotency_error` for a key reused with other parameters), lists as
 * `{ object: 'list', data, has_more }` paged by `limit` (≤ 100) and `starting_after`, customers, payment links,
 * invoices and invoice items (finalize, send), refunds of charges, webhook endpoints whose create answer carries the
 * signing secret, and Stripe's error body `{ error: { type, code, message, param, doc_url } }`.
 */
export async function startStripeFake(): Promise<StripeFake> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  const requests: RecordedRequest[] = [];
  const failures = new FailureQueue();
  const stores = {
    customers: [] as Obj[],
    charges: [] as Obj[],
    invoices: [] as Obj[],
    invoiceItems: [] as Obj[],
    refunds: [] as Obj[],
    links: [] as Obj[],
    endpoints: [] as Obj[],
  };
  const replays = new Map<string, { hash: string; status: number; body: unknown }>();
  const priceId = 'price_1PabcStandardPlan';
  let secretKey = `sk_test_${randomBytes(18).toString('hex')}`;
  let clock = 1_764_840_000;
  const newId = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;
  const now = () => clock++;

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers.authorization === `Bearer ${secretKey}`) return true;
    const given = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
    void reply
      .code(401)
      .send(
        stripeError(
          'invalid_request_error',
          `Invalid API Key provided: ${given.slice(0, 8)}****${given.slice(-4)}`,
        ),
      );
    return false;
  };

  const metadataOf = (form: Form): Record<string, string> =>
    Object.fromEntries(
      Object.entries(form).flatMap(([key, value]) => {
        const name = /^metadata\[([^\]]+)\]$/.exec(key)?.[1];
        return name ? [[name, value]] : [];
      }),
    );

  const list = (request: FastifyRequest, items: Obj[], reply: FastifyReply, path: string) => {
    const query = request.query as Record<string, string | undefined>;
    const limit = Number(query.limit ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) {
      return reply.code(400).send(
        stripeError('invalid_request_error', 'Invalid integer: limit', {
          code: 'parameter_invalid_integer',
          param: 'limit',
        }),
      );
    }
    const newestFirst = [...items].reverse();
    let start = 0;
    if (query.starting_after) {
      const index = newestFirst.findIndex((item) => item.id === query.starting_after);
      if (index < 0) {
        return reply.code(400).send(
          stripeError('invalid_request_error', `No such object: '${query.starting_after}'`, {
            code: 'resource_missing',
            param: 'starting_after',
          }),
        );
      }
      start = index + 1;
    }
    const data = newestFirst.slice(start, start + limit);
    return { object: 'list', url: `/v1/${path}`, has_more: start + limit < newestFirst.length, data };
  };

  const createdGte = (request: FastifyRequest) =>
    Number((request.query as Record<string, string>)['created[gte]'] ?? 0);

  app.addHook('preHandler', async (request, reply) => {
    requests.push(recordRequest(request));
    const path = (request.url.split('?')[0] ?? '').replace(/\/(in|we|cus)_[A-Za-z0-9]+/, '/:id');
    const failure = failures.take(`${request.method} ${path}`);
    if (failure && !failure.applyFirst) return sendFailure(reply, failure);
    if (failure) (request as FastifyRequest & { lostAnswer?: InjectedFailure }).lostAnswer = failure;
    if (request.method !== 'POST') return;
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string') return;
    const hash = createHash('sha256')
      .update(`${request.url} ${JSON.stringify(request.body ?? {})}`)
      .digest('hex');
    const earlier = replays.get(key);
    if (earlier && earlier.hash !== hash) {
      return reply
        .code(400)
        .send(
          stripeError(
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            { code: 'idempotency_key_in_use' },
          ),
        );
    }
    if (earlier) return reply.code(earlier.status).header('idempotent-replayed', 'true').send(earlier.body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.headers['idempotency-key'];
    if (request.method === 'POST' && typeof key === 'string' && !replays.has(key) && reply.statusCode < 500) {
      const hash = createHash('sha256')
        .update(`${request.url} ${JSON.stringify(request.body ?? {})}`)
        .digest('hex');
      const lost = (request as FastifyRequest & { stored?: unknown }).stored;
      replays.set(key, {
        hash,
        status: lost ? 200 : reply.statusCode,
        body: lost ?? JSON.parse(String(payload || 'null')),
      });
    }
    return payload;
  });

  /** Answers `body`, or the injected lost answer after doing the work (the replay store keeps the real body). */
  const answer = (request: FastifyRequest, reply: FastifyReply, body: unknown) => {
    const lost = (request as FastifyRequest & { lostAnswer?: InjectedFailure }).lostAnswer;
    if (lost) {
      (request as FastifyRequest & { stored?: unknown }).stored = body;
      return sendFailure(reply, lost);
    }
    return reply.code(200).send(body);
  };

  app.get('/v1/balance', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    return { object: 'balance', livemode: false, available: [{ amount: 0, currency: 'eur' }], pending: [] };
  });

  app.post<{ Body: Form }>('/v1/customers', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const form = request.body ?? {};
    const customer: Obj = {
      id: newId('cus'),
      object: 'customer',
      created: now(),
      email: form.email ?? null,
      name: form.name ?? null,
      phone: form.phone ?? null,
      description: form.description ?? null,
      livemode: false,
      metadata: metadataOf(form),
    };
    stores.customers.push(customer);
    return answer(request, reply, customer);
  });

  app.get('/v1/customers', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const { email } = request.query as Record<string, string | undefined>;
    const since = createdGte(request);
    const matching = stores.customers.filter(
      (customer) => (!email || customer.email === email) && customer.created >= since,
    );
    return list(request, matching, reply, 'customers');
  });

  app.get('/v1/charges', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const { customer, payment_intent } = request.query as Record<string, string | undefined>;
    const since = createdGte(request);
    const matching = stores.charges.filter(
      (charge) =>
        (!customer || charge.customer === customer) &&
        (!payment_intent || charge.payment_intent === payment_intent) &&
        charge.created >= since,
    );
    return list(request, matching, reply, 'charges');
  });

  app.post<{ Body: Form }>('/v1/payment_links', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const form = request.body ?? {};
    if (!form['line_items[0][price]']) {
      return reply.code(400).send(
        stripeError('invalid_request_error', 'Missing required param: line_items.', {
          code: 'parameter_missing',
          param: 'line_items',
        }),
      );
    }
    for (const [key, value] of Object.entries(form)) {
      if (/^line_items\[\d+\]\[price\]$/.test(key) && value !== priceId) {
        return reply.code(400).send(
          stripeError('invalid_request_error', `No such price: '${value}'`, {
            code: 'resource_missing',
            param: key,
          }),
        );
      }
    }
    const id = newId('plink');
    const link: Obj = {
      id,
      object: 'payment_link',
      created: now(),
      active: true,
      url: `https://buy.stripe.com/test_${id.slice(6)}`,
      metadata: metadataOf(form),
    };
    stores.links.push(link);
    return answer(request, reply, link);
  });

  const invoiceView = (invoice: Obj): Obj => {
    const lines = stores.invoiceItems.filter((item) => item.invoice === invoice.id);
    const total = lines.reduce((sum, item) => sum + Number(item.amount), 0);
    return { ...invoice, amount_due: total, total, lines: { object: 'list', data: lines, has_more: false } };
  };

  app.post<{ Body: Form }>('/v1/invoices', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const form = request.body ?? {};
    if (!stores.customers.some((customer) => customer.id === form.customer)) {
      return reply.code(400).send(
        stripeError('invalid_request_error', `No such customer: '${form.customer ?? ''}'`, {
          code: 'resource_missing',
          param: 'customer',
        }),
      );
    }
    const created = now();
    const invoice: Obj = {
      id: newId('in'),
      object: 'invoice',
      created,
      customer: form.customer,
      currency: form.currency ?? 'usd',
      status: 'draft',
      number: null,
      collection_method: form.collection_method ?? 'charge_automatically',
      description: form.description ?? null,
      due_date: form.days_until_due ? created + Number(form.days_until_due) * 86_400 : null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      metadata: metadataOf(form),
    };
    stores.invoices.push(invoice);
    return answer(request, reply, invoiceView(invoice));
  });

  app.post<{ Body: Form }>('/v1/invoiceitems', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const form = request.body ?? {};
    const invoice = stores.invoices.find((candidate) => candidate.id === form.invoice);
    if (invoice?.status !== 'draft') {
      return reply.code(400).send(
        stripeError('invalid_request_error', 'Invoice items can only be added to draft invoices.', {
          code: 'invoice_not_editable',
          param: 'invoice',
        }),
      );
    }
    const quantity = Number(form.quantity ?? 1);
    const item: Obj = {
      id: newId('ii'),
      object: 'invoiceitem',
      created: now(),
      customer: form.customer,
      invoice: form.invoice,
      currency: form.currency,
      description: form.description ?? null,
      quantity,
      unit_amount: Number(form.unit_amount ?? 0),
      amount: Number(form.unit_amount ?? 0) * quantity,
    };
    stores.invoiceItems.push(item);
    return answer(request, reply, item);
  });

  const invoiceOf = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const invoice = stores.invoices.find((candidate) => candidate.id === request.params.id);
    if (!invoice) {
      void reply.code(404).send(
        stripeError('invalid_request_error', `No such invoice: '${request.params.id}'`, {
          code: 'resource_missing',
          param: 'id',
        }),
      );
    }
    return invoice;
  };

  app.get<{ Params: { id: string } }>('/v1/invoices/:id', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const invoice = invoiceOf(request, reply);
    return invoice ? invoiceView(invoice) : reply;
  });

  app.post<{ Params: { id: string } }>('/v1/invoices/:id/finalize', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const invoice = invoiceOf(request, reply);
    if (!invoice) return reply;
    if (invoice.status !== 'draft') {
      return reply.code(400).send(
        stripeError('invalid_request_error', 'This invoice is already finalized.', {
          code: 'invoice_not_editable',
        }),
      );
    }
    invoice.status = 'open';
    invoice.number = `VM-${String(stores.invoices.indexOf(invoice) + 1).padStart(4, '0')}`;
    invoice.hosted_invoice_url = `https://invoice.stripe.com/i/acct_test/${invoice.id}`;
    invoice.invoice_pdf = `https://pay.stripe.com/invoice/acct_test/${invoice.id}/pdf`;
    return answer(request, reply, invoiceView(invoice));
  });

  app.post<{ Params: { id: string } }>('/v1/invoices/:id/send', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const invoice = invoiceOf(request, reply);
    if (!invoice) return reply;
    invoice.sent = true;
    return answer(request, reply, invoiceView(invoice));
  });

  app.post<{ Body: Form }>('/v1/refunds', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const form = request.body ?? {};
    const charge = stores.charges.find(
      (candidate) =>
        (form.charge && candidate.id === form.charge) ||
        (form.payment_intent && candidate.payment_intent === form.payment_intent),
    );
    if (!charge) {
      const param = form.charge ? 'charge' : 'payment_intent';
      return reply.code(400).send(
        stripeError('invalid_request_error', `No such ${param}: '${form[param] ?? ''}'`, {
          code: 'resource_missing',
          param,
        }),
      );
    }
    const left = Number(charge.amount) - Number(charge.amount_refunded);
    if (left <= 0) {
      return reply.code(400).send(
        stripeError('invalid_request_error', `Charge ${charge.id} has already been refunded.`, {
          code: 'charge_already_refunded',
        }),
      );
    }
    const amount = form.amount ? Number(form.amount) : left;
    if (amount > left) {
      return reply
        .code(400)
        .send(
          stripeError(
            'invalid_request_error',
            `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
            { code: 'amount_too_large', param: 'amount' },
          ),
        );
    }
    charge.amount_refunded = Number(charge.amount_refunded) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const refund: Obj = {
      id: newId('re'),
      object: 'refund',
      created: now(),
      amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      reason: form.reason ?? null,
      status: 'succeeded',
      metadata: metadataOf(form),
    };
    stores.refunds.push(refund);
    return answer(request, reply, refund);
  });

  app.post<{ Body: Form }>('/v1/webhook_endpoints', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const form = request.body ?? {};
    const events = Object.entries(form)
      .filter(([key]) => /^enabled_events\[\d+\]$/.test(key))
      .map(([, value]) => value);
    if (!form.url || events.length === 0) {
      const param = form.url ? 'enabled_events' : 'url';
      return reply.code(400).send(
        stripeError('invalid_request_error', `Missing required param: ${param}.`, {
          code: 'parameter_missing',
          param,
        }),
      );
    }
    const endpoint: Obj = {
      id: newId('we'),
      object: 'webhook_endpoint',
      created: now(),
      url: form.url,
      enabled_events: events,
      api_version: form.api_version ?? null,
      status: 'enabled',
      secret: `whsec_${randomBytes(24).toString('hex')}`,
    };
    stores.endpoints.push(endpoint);
    return answer(request, reply, endpoint);
  });

  app.get('/v1/webhook_endpoints', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    // The signing secret is shown only when the endpoint is created.
    const withoutSecret = stores.endpoints.map(({ secret: _secret, ...endpoint }) => endpoint as Obj);
    return list(request, withoutSecret, reply, 'webhook_endpoints');
  });

  app.delete<{ Params: { id: string } }>('/v1/webhook_endpoints/:id', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const index = stores.endpoints.findIndex((endpoint) => endpoint.id === request.params.id);
    if (index < 0) {
      return reply.code(404).send(
        stripeError('invalid_request_error', `No such webhook endpoint: '${request.params.id}'`, {
          code: 'resource_missing',
          param: 'id',
        }),
      );
    }
    stores.endpoints.splice(index, 1);
    return { id: request.params.id, object: 'webhook_endpoint', deleted: true };
  });

  const url = `${await listenLocal(app)}/v1`;
  return {
    url,
    get secretKey() {
      return secretKey;
    },
    priceId,
    requests,
    customers: () => stores.customers,
    invoices: () => stores.invoices,
    invoiceItems: () => stores.invoiceItems,
    refunds: () => stores.refunds,
    endpoints: () => stores.endpoints,
    seedCharges(count, customer) {
      const added: Obj[] = [];
      for (let index = 0; index < count; index++) {
        const charge: Obj = {
          id: newId('ch'),
          object: 'charge',
          created: now(),
          amount: 1000 + index,
          amount_refunded: 0,
          currency: 'eur',
          status: 'succeeded',
          paid: true,
          refunded: false,
          customer: customer ?? null,
          payment_intent: newId('pi'),
          description: `Order ${index + 1}`,
          receipt_email: null,
          metadata: {},
        };
        stores.charges.push(charge);
        added.push(charge);
      }
      return added;
    },
    revoke() {
      secretKey = `sk_test_${randomBytes(18).toString('hex')}`;
    },
    fail: (route, failure) => failures.add(route, failure),
    async sendEvent(type, object) {
      const event = {
        id: newId('evt'),
        object: 'event',
        api_version: '2024-06-20',
        created: now(),
        livemode: false,
        type,
        data: { object },
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
      };
      const body = JSON.stringify(event);
      const results: { url: string; status: number }[] = [];
      for (const endpoint of stores.endpoints) {
        const events = endpoint.enabled_events as string[];
        if (!events.includes('*') && !events.includes(type)) continue;
        const response = await fetch(String(endpoint.url), {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'stripe-signature': signStripePayload(body, String(endpoint.secret)),
          },
          body,
        });
        await response.arrayBuffer();
        results.push({ url: String(endpoint.url), status: response.status });
      }
      return results;
    },
    close: () => app.close(),
  };
}
