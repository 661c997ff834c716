import { connectorKit } from '../sdk/connector-kit.ts';
import type { MysqlClient, MysqlCredential } from './client.ts';

/** Builders for the MySQL connector's actions, bound to its credential and client. */
export const { action } = connectorKit<MysqlCredential, MysqlClient>();
