import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { Customer, Metadata, stripeForm, stripeIdempotencyKey, toCustomer } from '../client.ts';
import { rest } from '../kit.ts';

export const createCustomer = rest.action({
  key: 'createCustomer',
  title: 'Create a Stripe customer',
  description:
    'Add a customer to Stripe (email, name, phone, metadata) so invoices, payments and subscriptions can be billed to them. A retry of the step returns the same customer.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('a new Stripe customer', withValue.email ?? withValue.name),
  input: z.strictObject({
    email: z.email().max(512).optional().describe('Email address, e.g. "ana@example.com".'),
    name: z.string().min(1).max(256).optional().describe('Full name or business name, e.g. "Ana Lima".'),
    phone: z.string().max(20).optional().describe('Phone number, e.g. "+4915112345678".'),
    description: z
      .string()
      .max(350)
      .optional()
      .describe('Internal note, e.g. "Signed up via the webinar form".'),
    metadata: Metadata,
  }),
  output: Customer,
  http: {
    method: 'POST',
    path: '/customers',
    form: (input) => stripeForm(input),
    headers: (_, ctx) => ({ 'idempotency-key': stripeIdempotencyKey(ctx.idempotencyKey) }),
  },
  project: (response) => toCustomer(response.body),
});
