import { restKit } from '../sdk/rest/index.ts';
import type { WoocommerceCredential } from './client.ts';

/** Builders for the WooCommerce connector's declarative actions, bound to its credential. */
export const rest = restKit<WoocommerceCredential>();
