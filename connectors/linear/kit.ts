import type { z } from 'zod';
import type { ActionDefinition } from '../sdk/define.ts';
import { graphqlAction, type RestClient } from '../sdk/rest/index.ts';
import { type LinearCredential, linearGraphql } from './client.ts';

/** A declarative Linear GraphQL action (see graphqlAction), bound to Linear's endpoint and error codes. */
export function linearAction<Input extends z.ZodType, Output extends z.ZodType>(
  definition: Parameters<typeof graphqlAction<Input, Output, LinearCredential>>[1],
): ActionDefinition<Input, Output, LinearCredential, RestClient> {
  return graphqlAction<Input, Output, LinearCredential>(linearGraphql, definition);
}
