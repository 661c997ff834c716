import type { z } from 'zod';
import type { GoogleClient } from '../google/client.ts';
import { type ActionDefinition, defineAction } from '../sdk/define.ts';
import { restKit } from '../sdk/rest/index.ts';

/** Builders for the Google Drive connector's declarative actions (the credential is resolved by the client). */
export const rest = restKit<unknown>();

/** A programmatic action of this connector (uploads and downloads of the run's files). */
export function driveAction<Input extends z.ZodType, Output extends z.ZodType>(
  action: ActionDefinition<Input, Output, unknown, GoogleClient>,
): ActionDefinition<Input, Output, unknown, GoogleClient> {
  return defineAction(action);
}
