import type { GraphCredential } from '../microsoft/graph.ts';
import { connectorKit } from '../sdk/connector-kit.ts';
import { type RestClient, restKit } from '../sdk/rest/index.ts';

/** Builders for the Outlook connector: declarative Graph actions, and the programmatic send with attachments. */
export const rest = restKit<GraphCredential>();
export const { action } = connectorKit<GraphCredential, RestClient>();
