import { connectorKit } from '../sdk/connector-kit.ts';
import type { DiscordClient, DiscordCredential } from './client.ts';

/** Builders for the Discord connector's actions, bound to its credential and client. */
export const { action } = connectorKit<DiscordCredential, DiscordClient>();
