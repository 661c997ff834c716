import { restKit } from '../sdk/rest/index.ts';
import type { ZendeskCredential } from './client.ts';

/** Builders for the Zendesk connector's declarative actions, bound to its credential. */
export const rest = restKit<ZendeskCredential>();
