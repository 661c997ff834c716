import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { createRestClient, type RestClient } from '../sdk/rest/index.ts';
import { createCustomer } from './actions/create-customer.ts';
import { createInvoice } from './actions/create-invoice.ts';
import { createPaymentLink } from './actions/create-payment-link.ts';
import { createRefund } from './actions/create-refund.ts';
import { listCharges } from './actions/list-charges.ts';
import { listCustomers } from './actions/list-customers.ts';
import { StripeCredential, stripeApi } from './client.ts';
import { event } from './triggers/event.ts';

export const stripeConnector = defineConnector<StripeCredential, RestClient>({
  id: 'stripe',
  version: '1.0.0',
  title: 'Stripe',
  description:
    'Stripe payments: create and find customers, payment links, invoices and refunds, list charges; start workflows on Stripe events (self-registering webhook, Stripe-Signature checked).',
  credential: {
    type: 'stripe',
    schema: StripeCredential,
    howToGet:
      'In the Stripe Dashboard: Developers → API keys → copy the secret key (or create a restricted key with the permissions the workflow needs), then `vmesh credentials set stripe --type stripe` (the bare key on stdin is recognised). Test keys (sk_test_…) see only test data.',
    fromToken: (token) => ({ secretKey: token }),
    wireSecrets: (credential: StripeCredential) => [
      ...authorizationWireSecrets(credential.secretKey, ['Bearer']),
      // Stripe echoes a refused key masked (sk_test_****abcd); the whole key is registered, its basic form too.
      Buffer.from(`${credential.secretKey}:`).toString('base64'),
    ],
  },
  // Stripe allows 100 read and 100 write operations per second in live mode (25 in test mode).
  rateLimit: { requests: 100, perSeconds: 1, burst: 100 },
  createClient: ({ credential, env }) => createRestClient(stripeApi, { credential, env }),
  async testCredential({ client, signal }) {
    const response = await client.send({ method: 'GET', path: '/balance' }, signal);
    const balance = z.object({ livemode: z.boolean() }).parse(response.body);
    return `Stripe accepts the key (${balance.livemode ? 'live' : 'test'} mode).`;
  },
  actions: [createCustomer, listCustomers, createPaymentLink, createInvoice, createRefund, listCharges],
  triggers: [event],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
