import { restKit } from '../sdk/rest/index.ts';
import type { WordpressCredential } from './client.ts';

/** Builders for the WordPress connector's declarative actions, bound to its credential. */
export const rest = restKit<WordpressCredential>();
