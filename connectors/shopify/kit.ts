import { restKit } from '../sdk/rest/index.ts';
import type { ShopifyCredential } from './client.ts';

/** Builders for the Shopify connector's declarative actions, bound to its credential. */
export const rest = restKit<ShopifyCredential>();
