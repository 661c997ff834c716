import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Metadata, StripeId, stripeForm, stripeIdempotencyKey } from '../client.ts';
import { rest } from '../kit.ts';

const RawPaymentLink = z.object({ id: z.string(), url: z.string(), active: z.boolean() });

export const createPaymentLink = rest.action({
  key: 'createPaymentLink',
  title: 'Create a Stripe payment link',
  description:
    'Make a shareable Stripe checkout link (https://buy.stripe.com/…) for one or more prices, to send to a customer by email or chat. A retry of the step returns the same link.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => {
    const items = Array.isArray(withValue.lineItems) ? withValue.lineItems : [];
    const first = items[0] as { price?: unknown } | undefined;
    return describeNamed('a new Stripe payment link for the price', first?.price);
  },
  input: z.strictObject({
    lineItems: z
      .array(
        z.strictObject({
          price: StripeId('price', 'price'),
          quantity: z.number().int().min(1).max(999_999).default(1).describe('How many, e.g. 1.'),
        }),
      )
      .min(1)
      .max(20)
      .describe(
        'What is sold: prices (from the Stripe Dashboard → Product catalog) and quantities, e.g. [{"price":"price_1Pabc","quantity":1}].',
      ),
    redirectUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Where the buyer goes after paying, e.g. "https://example.com/thanks".'),
    allowPromotionCodes: z.boolean().optional().describe('Let the buyer enter a promotion code.'),
    metadata: Metadata,
  }),
  output: z.object({
    id: z.string().describe('Payment link id, plink_….'),
    url: z.string().describe('The link to share, https://buy.stripe.com/….'),
    active: z.boolean().describe('Whether it accepts payments.'),
  }),
  http: {
    method: 'POST',
    path: '/payment_links',
    form: (input) =>
      stripeForm({
        line_items: input.lineItems.map((item) => ({ price: item.price, quantity: item.quantity })),
        allow_promotion_codes: input.allowPromotionCodes,
        metadata: input.metadata,
        ...(input.redirectUrl
          ? { after_completion: { type: 'redirect', redirect: { url: input.redirectUrl } } }
          : {}),
      }),
    headers: (_, ctx) => ({ 'idempotency-key': stripeIdempotencyKey(ctx.idempotencyKey) }),
  },
  project: (response) => RawPaymentLink.parse(response.body),
});
