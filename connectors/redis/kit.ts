import { connectorKit } from '../sdk/connector-kit.ts';
import type { RedisClient, RedisCredential } from './client.ts';

/** Builders for the Redis connector's actions, bound to its credential and client. */
export const { action } = connectorKit<RedisCredential, RedisClient>();
