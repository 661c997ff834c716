import { restKit } from '../sdk/rest/index.ts';
import type { AirtableCredential } from './client.ts';

/** Builders for the Airtable connector's declarative actions, bound to its credential. */
export const rest = restKit<AirtableCredential>();
