import { restKit } from '../sdk/rest/index.ts';
import type { AsanaCredential } from './client.ts';

/** Builders for the Asana connector's declarative actions, bound to its credential. */
export const rest = restKit<AsanaCredential>();
