import { restKit } from '../sdk/rest/index.ts';
import type { HubspotCredential } from './client.ts';

/** Builders for the HubSpot connector's declarative actions, bound to its credential. */
export const rest = restKit<HubspotCredential>();
