import type { z } from 'zod';
import type { GoogleClient } from '../google/client.ts';
import { type ActionDefinition, defineAction } from '../sdk/define.ts';
import { restKit } from '../sdk/rest/index.ts';

/** Builders for the Google Calendar connector's declarative actions (the credential is resolved by the client). */
export const rest = restKit<unknown>();

/** A programmatic action of this connector (createEvent: the insert, and the event itself on a retry). */
export function calendarAction<Input extends z.ZodType, Output extends z.ZodType>(
  action: ActionDefinition<Input, Output, unknown, GoogleClient>,
): ActionDefinition<Input, Output, unknown, GoogleClient> {
  return defineAction(action);
}
