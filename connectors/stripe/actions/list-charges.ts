import { z } from 'zod';
import { Charge, StripeId, stripePagination, toCharge } from '../client.ts';
import { rest } from '../kit.ts';

export const listCharges = rest.list({
  key: 'listCharges',
  title: 'List Stripe charges',
  description:
    'List the charges (card and other payments) of a Stripe account, newest first: of one customer or PaymentIntent, or since a date. Use it for payment reports and to find the charge to refund.',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    customerId: StripeId('cus', 'customer').optional(),
    paymentIntentId: StripeId('pi', 'PaymentIntent').optional(),
    createdAfter: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Only charges made at or after this time, e.g. "2026-12-01T00:00:00Z".'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('At most this many (1–1000, default 100); pages of 100 are fetched as needed.'),
  }),
  output: z.object({
    charges: z.array(Charge).describe('Charges, newest first.'),
    truncated: z.boolean().describe('True when more matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/charges',
    query: (input) => ({
      customer: input.customerId,
      payment_intent: input.paymentIntentId,
      'created[gte]': input.createdAfter ? Math.floor(Date.parse(input.createdAfter) / 1000) : undefined,
      limit: Math.min(100, input.limit),
    }),
  },
  paginate: { ...stripePagination, maxItems: (input) => input.limit },
  project: (collected) => ({ charges: collected.items.map(toCharge), truncated: collected.truncated }),
});
