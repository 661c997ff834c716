import { z } from 'zod';
import { defineAction } from '../../sdk/define.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { fillPath, type RestClient } from '../../sdk/rest/index.ts';
import {
  Currency,
  Invoice,
  Metadata,
  type StripeCredential,
  StripeId,
  stripeForm,
  stripeIdempotencyKey,
  toInvoice,
} from '../client.ts';

export const CreateInvoiceInput = z.strictObject({
  customerId: StripeId('cus', 'customer'),
  currency: Currency,
  items: z
    .array(
      z.strictObject({
        description: z
          .string()
          .min(1)
          .max(500)
          .describe('What the line is for, e.g. "Consulting, November".'),
        unitAmount: z
          .number()
          .int()
          .min(0)
          .describe('Price of one unit in the smallest currency unit, e.g. 12000 for 120.00.'),
        quantity: z.number().int().min(1).max(1_000_000).default(1).describe('How many units, e.g. 3.'),
      }),
    )
    .min(1)
    .max(50)
    .describe(
      'The invoice lines, e.g. [{"description":"Consulting, November","unitAmount":12000,"quantity":3}].',
    ),
  description: z
    .string()
    .max(1500)
    .optional()
    .describe('A memo printed on the invoice, e.g. "Thank you for your business."'),
  daysUntilDue: z
    .number()
    .int()
    .min(0)
    .max(365)
    .default(30)
    .describe('Days the customer has to pay (default 30).'),
  finalize: z
    .boolean()
    .default(true)
    .describe('Finalize it (numbered, payable, with a hosted page and PDF); false leaves a draft.'),
  sendEmail: z
    .boolean()
    .default(false)
    .describe('Also email it to the customer from Stripe (needs finalize).'),
  metadata: Metadata,
});
type CreateInvoiceInput = z.output<typeof CreateInvoiceInput>;

async function post(
  client: RestClient,
  path: string,
  form: Parameters<typeof stripeForm>[0],
  idempotencyKey: string,
  signal: AbortSignal,
): Promise<unknown> {
  const response = await client.send(
    { method: 'POST', path, form: stripeForm(form), headers: { 'idempotency-key': idempotencyKey } },
    signal,
  );
  return response.body;
}

/**
 * A draft invoice, its lines (invoice items attached to it), then finalize and send: each call with its own
 * Idempotency-Key derived from the step's, so a retry after any lost answer replays instead of billing twice.
 */
export const createInvoice = defineAction<
  typeof CreateInvoiceInput,
  typeof Invoice,
  StripeCredential,
  RestClient
>({
  key: 'createInvoice',
  title: 'Create a Stripe invoice',
  description:
    'Bill a Stripe customer: create an invoice with line items, finalize it (number, payment page, PDF) and optionally email it from Stripe. A retry of the step never makes a second invoice.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Stripe customer', withValue.customerId, { currency: withValue.currency }),
  input: CreateInvoiceInput,
  output: Invoice,
  async run(input: CreateInvoiceInput, ctx) {
    const key = (part: string) => stripeIdempotencyKey(ctx.idempotencyKey, part);
    const draft = toInvoice(
      await post(
        ctx.client,
        '/invoices',
        {
          customer: input.customerId,
          currency: input.currency,
          collection_method: 'send_invoice',
          days_until_due: input.daysUntilDue,
          description: input.description,
          auto_advance: false,
          pending_invoice_items_behavior: 'exclude',
          metadata: input.metadata,
        },
        key('invoice'),
        ctx.signal,
      ),
    );
    for (const [index, item] of input.items.entries()) {
      await post(
        ctx.client,
        '/invoiceitems',
        {
          customer: input.customerId,
          invoice: draft.id,
          currency: input.currency,
          description: item.description,
          unit_amount: item.unitAmount,
          quantity: item.quantity,
        },
        key(`item:${index}`),
        ctx.signal,
      );
    }
    if (!input.finalize) {
      const response = await ctx.client.send(
        { method: 'GET', path: fillPath('/invoices/{id}', { id: draft.id }) },
        ctx.signal,
      );
      return toInvoice(response.body);
    }
    const finalized = await post(
      ctx.client,
      fillPath('/invoices/{id}/finalize', { id: draft.id }),
      {},
      key('finalize'),
      ctx.signal,
    );
    if (!input.sendEmail) return toInvoice(finalized);
    return toInvoice(
      await post(ctx.client, fillPath('/invoices/{id}/send', { id: draft.id }), {}, key('send'), ctx.signal),
    );
  },
});
