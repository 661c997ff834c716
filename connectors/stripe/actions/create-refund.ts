import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Metadata, StripeId, stripeForm, stripeIdempotencyKey } from '../client.ts';
import { rest } from '../kit.ts';

const RawRefund = z.object({
  id: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  status: z.string().nullable(),
  charge: z.string().nullable().optional(),
  payment_intent: z.string().nullable().optional(),
  reason: z.string().nullable().optional(),
});

export const createRefund = rest.action({
  key: 'createRefund',
  title: 'Refund a Stripe payment',
  description:
    'Refund a Stripe charge or PaymentIntent, in full or in part (amount in cents). Money goes back to the customer; a retry of the step never refunds twice.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Stripe payment', withValue.paymentIntentId ?? withValue.chargeId, {
      amount: withValue.amount,
    }),
  input: z
    .strictObject({
      chargeId: StripeId('ch', 'charge').optional(),
      paymentIntentId: StripeId('pi', 'PaymentIntent').optional(),
      amount: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe(
          'Refund only this much, in the smallest currency unit (e.g. 1500 = 15.00 EUR); default everything left.',
        ),
      reason: z
        .enum(['duplicate', 'fraudulent', 'requested_by_customer'])
        .optional()
        .describe('Why, e.g. "requested_by_customer".'),
      metadata: Metadata,
    })
    .refine((input) => (input.chargeId === undefined) !== (input.paymentIntentId === undefined), {
      message: 'give chargeId or paymentIntentId (one of them)',
    }),
  output: z.object({
    id: z.string().describe('Refund id, re_….'),
    amount: z.number().int().describe('Amount refunded (cents).'),
    currency: z.string().describe('Currency.'),
    status: z.string().nullable().describe('pending, succeeded, failed, canceled or requires_action.'),
    chargeId: z.string().nullable().describe('The charge refunded.'),
    paymentIntentId: z.string().nullable().describe('The PaymentIntent refunded.'),
    reason: z.string().nullable().describe('The reason given.'),
  }),
  http: {
    method: 'POST',
    path: '/refunds',
    form: (input) =>
      stripeForm({
        charge: input.chargeId,
        payment_intent: input.paymentIntentId,
        amount: input.amount,
        reason: input.reason,
        metadata: input.metadata,
      }),
    headers: (_, ctx) => ({ 'idempotency-key': stripeIdempotencyKey(ctx.idempotencyKey) }),
  },
  project: (response) => {
    const refund = RawRefund.parse(response.body);
    return {
      id: refund.id,
      amount: refund.amount,
      currency: refund.currency,
      status: refund.status,
      chargeId: refund.charge ?? null,
      paymentIntentId: refund.payment_intent ?? null,
      reason: refund.reason ?? null,
    };
  },
});
