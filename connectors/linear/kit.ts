import type { z } from 'zod';
import type { ActionDefinition } from '../sdk/define.ts';
import { graphqlAction, type RestClient } from '../sdk/rest/index.ts';
import { type LinearClientCredential, linearGraphql } from './client.ts';

/** A declarative Linear GraphQL action (see graphqlAction), bound to Linear's endpoint and error codes. */
export function linearAction<Input extends z.ZodType, Output extends z.ZodType>(
  definition: Parameters<typeof graphqlAction<Input, Output, LinearClientCredential>>[1],
): ActionDefinition<Input, Output, LinearClientCredential, RestClient> {
  return graphqlAction<Input, Output, LinearClientCredential>(linearGraphql, definition);
}
