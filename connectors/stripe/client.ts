import { createHash } from 'node:crypto';
import { z } from 'zod';
import { bindAuth } from '../sdk/auth/auth-style.ts';
import { bearerStyle } from '../sdk/auth/header-styles.ts';
import type { QueryValue, RestApi } from '../sdk/rest/index.ts';

export const STRIPE_API_URL = 'https://api.stripe.com/v1';
/** The API version every request pins, so Stripe's answers keep the shape this connector reads. */
export const STRIPE_VERSION = '2024-06-20';

export const StripeCredential = z.strictObject({
  secretKey: z
    .string()
    .regex(
      /^(sk|rk)_(test|live)_[A-Za-z0-9]{10,247}$/,
      'a Stripe secret key (sk_live_…/sk_test_…) or restricted key (rk_live_…/rk_test_…)',
    )
    .describe('A secret or restricted API key from Dashboard → Developers → API keys.'),
});
export type StripeCredential = z.infer<typeof StripeCredential>;

const StripeErrorBody = z.object({
  error: z
    .object({
      type: z.string().optional(),
      code: z.string().optional(),
      message: z.string().optional(),
      param: z.string().optional(),
      doc_url: z.string().optional(),
      decline_code: z.string().optional(),
    })
    .loose(),
});

const CODE_HINTS: Readonly<Record<string, string>> = {
  resource_missing:
    'The id names nothing in this Stripe account (or in the other mode: test keys see only test data).',
  api_key_expired:
    'The key expired: roll a new one in Dashboard → Developers → API keys and store it with `vmesh credentials set NAME --type stripe`.',
  idempotency_error:
    'The same step was sent again with different parameters; change the node’s input only in a new run.',
  parameter_missing: 'Set the parameter the message names.',
  parameter_invalid_integer: 'Amounts are whole numbers in the currency’s smallest unit (cents).',
  charge_already_refunded: 'The charge was already refunded in full; nothing is left to refund.',
  amount_too_large: 'Refund at most what is left of the charge.',
  rate_limit: 'Stripe is limiting requests; the step is retried after a short wait.',
};

/**
 * The Stripe API: form-encoded bodies, the secret key as a bearer token, `Stripe-Version` pinned. Errors are
 * `{ error: { type, code, message, param, doc_url } }`.
 */
export const stripeApi: RestApi<StripeCredential> = {
  connector: 'stripe',
  baseUrl: STRIPE_API_URL,
  auth: (credential) => bindAuth(bearerStyle, { token: credential.secretKey }),
  headers: { 'stripe-version': STRIPE_VERSION },
  vendorError(body) {
    const parsed = StripeErrorBody.safeParse(body);
    if (!parsed.success) return undefined;
    const { type, code, message, param, doc_url: docUrl } = parsed.data.error;
    const codeHint = code ? CODE_HINTS[code] : undefined;
    return {
      message: `${message ?? type ?? 'Stripe refused the request'}${param ? ` (param ${param})` : ''}`,
      vendorCode: code ?? type,
      ...(codeHint
        ? { hint: codeHint }
        : docUrl && type !== 'invalid_request_error'
          ? { hint: `See ${docUrl}` }
          : {}),
      // Stripe documents no Retry-After: it asks for a backoff, and a lock timeout clears in about a second.
      ...(code === 'rate_limit' || code === 'lock_timeout' ? { retryAfterMs: 1000, retryable: true } : {}),
      ...(type === 'api_error' ? { retryable: true } : {}),
    };
  },
  hints: {
    400: 'Change the parameter the message names (amounts are in cents, ids start with cus_, price_, ch_, pi_).',
    401: 'Stripe refused the API key (revoked, rolled or mistyped): create a secret or restricted key in Dashboard → Developers → API keys and store it with `vmesh credentials set NAME --type stripe`.',
    402: 'The card or payment was declined; the message says why.',
    403: 'The restricted key lacks the permission this call needs: give it write access to the resource in Dashboard → Developers → API keys.',
    404: 'The id names nothing in this account (test keys see only test-mode objects).',
  },
};

/** Stripe's `Idempotency-Key` (at most 255 characters), the same on every retry of one step. */
export function stripeIdempotencyKey(idempotencyKey: string, part?: string): string {
  const key = part ? `${idempotencyKey}:${part}` : idempotencyKey;
  return key.length <= 255 ? key : createHash('sha256').update(key).digest('hex');
}

/** A form value in Stripe's nested-key encoding: `metadata[plan]=pro`, `line_items[0][price]=price_…`. */
export type StripeFormValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly StripeFormValue[]
  | { readonly [key: string]: StripeFormValue };

/** Flattens nested objects and arrays into Stripe's bracketed form keys; undefined values are left out. */
export function stripeForm(fields: Readonly<Record<string, StripeFormValue>>): Record<string, QueryValue> {
  const flat: Record<string, QueryValue> = {};
  const add = (key: string, value: StripeFormValue) => {
    if (value === undefined) return;
    if (value === null) {
      // An empty value unsets a field in Stripe's API.
      flat[key] = '';
    } else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) add(`${key}[${index}]`, item);
    } else if (typeof value === 'object') {
      for (const [name, item] of Object.entries(value)) add(`${key}[${name}]`, item);
    } else {
      flat[key] = value;
    }
  };
  for (const [key, value] of Object.entries(fields)) add(key, value);
  return flat;
}

export const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((record) => Object.keys(record).length <= 50, 'at most 50 keys')
  .optional()
  .describe(
    'Key-value pairs stored on the object (at most 50; keys ≤ 40, values ≤ 500 characters), e.g. {"orderId":"1042"}.',
  );

export const Currency = z
  .string()
  .regex(/^[a-z]{3}$/, 'a three-letter ISO currency code in lower case')
  .describe('Three-letter ISO currency code in lower case, e.g. "eur".');

/** A Stripe list answer: `{ object: 'list', data, has_more }`, paged with `starting_after=<last id>`. */
export const StripeList = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string() }).loose()),
  has_more: z.boolean(),
});

export const stripePagination = {
  style: 'cursor' as const,
  cursorParam: 'starting_after',
  items: (body: unknown) => StripeList.parse(body).data,
  nextCursor(body: unknown) {
    const page = StripeList.parse(body);
    return page.has_more ? page.data.at(-1)?.id : undefined;
  },
};

const unix = (seconds: number) => new Date(seconds * 1000).toISOString();

const RawCustomer = z.object({
  id: z.string(),
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  created: z.number(),
  metadata: z.record(z.string(), z.string()).default({}),
});

export const Customer = z.object({
  id: z.string().describe('Customer id, cus_….'),
  email: z.string().nullable().describe('Email address, or null.'),
  name: z.string().nullable().describe('Full name or business name, or null.'),
  phone: z.string().nullable().describe('Phone number, or null.'),
  description: z.string().nullable().describe('Internal description, or null.'),
  created: z.string().describe('When it was created (ISO).'),
  metadata: z.record(z.string(), z.string()).describe('Its metadata.'),
  dashboardUrl: z.string().describe('Link to the customer in the Stripe Dashboard.'),
});

export function toCustomer(raw: unknown): z.infer<typeof Customer> {
  const customer = RawCustomer.parse(raw);
  return {
    id: customer.id,
    email: customer.email ?? null,
    name: customer.name ?? null,
    phone: customer.phone ?? null,
    description: customer.description ?? null,
    created: unix(customer.created),
    metadata: customer.metadata,
    dashboardUrl: `https://dashboard.stripe.com/customers/${encodeURIComponent(customer.id)}`,
  };
}

const RawCharge = z.object({
  id: z.string(),
  amount: z.number().int(),
  amount_refunded: z.number().int().default(0),
  currency: z.string(),
  status: z.string(),
  paid: z.boolean().default(false),
  refunded: z.boolean().default(false),
  customer: z.string().nullable().optional(),
  payment_intent: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  receipt_email: z.string().nullable().optional(),
  created: z.number(),
  metadata: z.record(z.string(), z.string()).default({}),
});

export const Charge = z.object({
  id: z.string().describe('Charge id, ch_….'),
  amount: z.number().int().describe('Amount in the smallest currency unit (cents).'),
  amountRefunded: z.number().int().describe('How much of it was refunded (cents).'),
  currency: z.string().describe('Currency, e.g. "eur".'),
  status: z.string().describe('succeeded, pending or failed.'),
  paid: z.boolean().describe('Whether it was paid.'),
  refunded: z.boolean().describe('Whether it was refunded in full.'),
  customerId: z.string().nullable().describe('The customer, or null.'),
  paymentIntentId: z.string().nullable().describe('The PaymentIntent, or null.'),
  description: z.string().nullable().describe('Its description, or null.'),
  receiptEmail: z.string().nullable().describe('Where the receipt went, or null.'),
  created: z.string().describe('When it was made (ISO).'),
  metadata: z.record(z.string(), z.string()).describe('Its metadata.'),
});

export function toCharge(raw: unknown): z.infer<typeof Charge> {
  const charge = RawCharge.parse(raw);
  return {
    id: charge.id,
    amount: charge.amount,
    amountRefunded: charge.amount_refunded,
    currency: charge.currency,
    status: charge.status,
    paid: charge.paid,
    refunded: charge.refunded,
    customerId: charge.customer ?? null,
    paymentIntentId: charge.payment_intent ?? null,
    description: charge.description ?? null,
    receiptEmail: charge.receipt_email ?? null,
    created: unix(charge.created),
    metadata: charge.metadata,
  };
}

const RawInvoice = z.object({
  id: z.string(),
  number: z.string().nullable().optional(),
  customer: z.string(),
  status: z.string().nullable(),
  currency: z.string(),
  amount_due: z.number().int(),
  total: z.number().int().optional(),
  hosted_invoice_url: z.string().nullable().optional(),
  invoice_pdf: z.string().nullable().optional(),
  due_date: z.number().nullable().optional(),
});

export const Invoice = z.object({
  id: z.string().describe('Invoice id, in_….'),
  number: z.string().nullable().describe('The invoice number (set when it is finalized), or null.'),
  customerId: z.string().describe('The customer billed.'),
  status: z.string().nullable().describe('draft, open, paid, uncollectible or void.'),
  currency: z.string().describe('Currency, e.g. "eur".'),
  amountDue: z.number().int().describe('What the customer owes (cents).'),
  hostedUrl: z.string().nullable().describe('The page where the customer pays it (once finalized), or null.'),
  pdfUrl: z.string().nullable().describe('The PDF (once finalized), or null.'),
  dueDate: z.string().nullable().describe('When it is due (ISO), or null.'),
});

export function toInvoice(raw: unknown): z.infer<typeof Invoice> {
  const invoice = RawInvoice.parse(raw);
  return {
    id: invoice.id,
    number: invoice.number ?? null,
    customerId: invoice.customer,
    status: invoice.status,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    hostedUrl: invoice.hosted_invoice_url ?? null,
    pdfUrl: invoice.invoice_pdf ?? null,
    dueDate: invoice.due_date ? unix(invoice.due_date) : null,
  };
}

export const StripeId = (prefix: string, example: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9]{1,250}$`), `a Stripe id starting with ${prefix}_`)
    .describe(`The ${example} id, ${prefix}_…, e.g. from an earlier step.`);
