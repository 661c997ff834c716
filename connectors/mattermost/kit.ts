import { connectorKit } from '../sdk/connector-kit.ts';
import type { RestClient } from '../sdk/rest/index.ts';
import type { MattermostCredential } from './client.ts';

/** Builders for the Mattermost connector's actions (each resolves the channel first, so they are programmatic). */
export const { action } = connectorKit<MattermostCredential, RestClient>();
