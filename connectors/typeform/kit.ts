import { restKit } from '../sdk/rest/index.ts';
import type { TypeformCredential } from './client.ts';

/** Builders for the Typeform connector's declarative actions, bound to its credential. */
export const rest = restKit<TypeformCredential>();
