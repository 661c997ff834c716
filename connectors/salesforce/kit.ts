import { restKit } from '../sdk/rest/index.ts';
import type { SalesforceAnyCredential } from './client.ts';

/** Builders for the Salesforce connector's declarative actions, bound to its credential. */
export const rest = restKit<SalesforceAnyCredential>();
