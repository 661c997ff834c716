import type { BoundAuth } from '../sdk/auth/auth-style.ts';
import { connectorKit } from '../sdk/connector-kit.ts';
import type { DropboxClient } from './client.ts';

/** Builders for the Dropbox connector's actions: the credential arrives bound to its auth style. */
export const { action } = connectorKit<BoundAuth, DropboxClient>();
