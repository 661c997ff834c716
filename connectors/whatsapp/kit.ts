import { restKit } from '../sdk/rest/index.ts';
import type { WhatsappCredential } from './client.ts';

/** Builders for the WhatsApp connector's declarative actions, bound to its credential. */
export const rest = restKit<WhatsappCredential>();
