import { restKit } from '../sdk/rest/index.ts';
import type { JiraCredential } from './client.ts';

/** Builders for the Jira connector's declarative actions, bound to its credential. */
export const rest = restKit<JiraCredential>();
