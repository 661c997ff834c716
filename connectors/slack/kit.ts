import { connectorKit } from '../sdk/connector-kit.ts';
import type { SlackClient, SlackCredential } from './client.ts';

/** Builders for the Slack connector's actions, bound to its credential and client. */
export const { action } = connectorKit<SlackCredential, SlackClient>();
