import { connectorKit } from '../sdk/connector-kit.ts';
import type { McpClient, McpCredential } from './client.ts';

/** Builders for the MCP connector's actions, bound to its credential and client. */
export const { action } = connectorKit<McpCredential, McpClient>();
