import { connectorKit } from '../sdk/connector-kit.ts';
import type { PostgresClient, PostgresCredential } from './client.ts';

/** Builders for the Postgres connector's actions, bound to its credential and client. */
export const { action } = connectorKit<PostgresCredential, PostgresClient>();
