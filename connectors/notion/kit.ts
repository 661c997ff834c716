import { restKit } from '../sdk/rest/index.ts';
import type { NotionCredential } from './client.ts';

/** Builders for the Notion connector's declarative actions, bound to its credential. */
export const rest = restKit<NotionCredential>();
