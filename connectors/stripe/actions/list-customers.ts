import { z } from 'zod';
import { Customer, stripePagination, toCustomer } from '../client.ts';
import { rest } from '../kit.ts';

export const listCustomers = rest.list({
  key: 'listCustomers',
  title: 'List or find Stripe customers',
  description:
    'List Stripe customers, newest first, or find the ones with an exact email address (to check whether someone is already a customer before creating one).',
  effect: 'read',
  idempotent: true,
  input: z.strictObject({
    email: z
      .string()
      .min(3)
      .max(512)
      .optional()
      .describe('Only customers with exactly this email (case-sensitive), e.g. "ana@example.com".'),
    createdAfter: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Only customers created at or after this time, e.g. "2026-01-01T00:00:00Z".'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .describe('At most this many (1–1000, default 100); pages of 100 are fetched as needed.'),
  }),
  output: z.object({
    customers: z.array(Customer).describe('Customers, newest first.'),
    truncated: z.boolean().describe('True when more matched than `limit`.'),
  }),
  http: {
    method: 'GET',
    path: '/customers',
    query: (input) => ({
      email: input.email,
      'created[gte]': input.createdAfter ? Math.floor(Date.parse(input.createdAfter) / 1000) : undefined,
      limit: Math.min(100, input.limit),
    }),
  },
  paginate: { ...stripePagination, maxItems: (input) => input.limit },
  project: (collected) => ({ customers: collected.items.map(toCustomer), truncated: collected.truncated }),
});
