import { connectorKit } from '../sdk/connector-kit.ts';
import { type RestClient, restKit } from '../sdk/rest/index.ts';
import type { GmailCredential } from './client.ts';

/** Builders for the Gmail connector: declarative REST actions, and programmatic ones that send a built message. */
export const rest = restKit<GmailCredential>();
export const { action } = connectorKit<GmailCredential, RestClient>();
