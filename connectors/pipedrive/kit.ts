import { restKit } from '../sdk/rest/index.ts';
import type { PipedriveCredential } from './client.ts';

/** Builders for the Pipedrive connector's declarative actions, bound to its credential. */
export const rest = restKit<PipedriveCredential>();
