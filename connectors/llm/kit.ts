import { connectorKit } from '../sdk/connector-kit.ts';
import type { LlmClient, LlmCredential } from './client.ts';

/** Builders for the LLM connector's actions, bound to its credential and client. */
export const { action } = connectorKit<LlmCredential, LlmClient>();
