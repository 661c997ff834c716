import { restKit } from '../sdk/rest/index.ts';
import type { StripeCredential } from './client.ts';

/** Builders for the Stripe connector's declarative actions, bound to its credential. */
export const rest = restKit<StripeCredential>();
