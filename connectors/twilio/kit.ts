import { restKit } from '../sdk/rest/index.ts';
import type { TwilioCredential } from './client.ts';

/** Builders for the Twilio connector's declarative actions, bound to its credential. */
export const rest = restKit<TwilioCredential>();
