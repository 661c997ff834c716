import type { BoundAuth } from '../sdk/auth/index.ts';
import { connectorKit } from '../sdk/connector-kit.ts';
import type { HttpClient } from './client.ts';

/** Builders for the HTTP connector's actions, bound to its credential and client. */
export const { action } = connectorKit<BoundAuth, HttpClient>();
