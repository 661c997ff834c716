import { restKit } from '../sdk/rest/index.ts';
import type { TodoistCredential } from './client.ts';

/** Builders for the Todoist connector's declarative actions, bound to its credential. */
export const rest = restKit<TodoistCredential>();
