import { restKit } from '../sdk/rest/index.ts';
import type { TrelloCredential } from './client.ts';

/** Builders for the Trello connector's declarative actions, bound to its credential. */
export const rest = restKit<TrelloCredential>();
