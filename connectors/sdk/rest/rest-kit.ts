import type { z } from 'zod';
import type { ActionDefinition, PollTriggerDefinition } from '../define.ts';
import {
  type RestActionDefinition,
  type RestListActionDefinition,
  restAction,
  restListAction,
} from './rest-action.ts';
import type { RestClient } from './rest-client.ts';
import { type RestPollDefinition, restPollTrigger } from './rest-poll.ts';

/**
 * A REST connector's typed builders, bound once to its credential type:
 * `export const rest = restKit<TodoistCredential>()`, then `rest.action({ key, input, output, http, project })`.
 */
export function restKit<Credential>() {
  return {
    action<Input extends z.ZodType, Output extends z.ZodType>(
      definition: RestActionDefinition<Input, Output, Credential>,
    ): ActionDefinition<Input, Output, Credential, RestClient> {
      return restAction(definition);
    },
    list<Input extends z.ZodType, Output extends z.ZodType>(
      definition: RestListActionDefinition<Input, Output, Credential>,
    ): ActionDefinition<Input, Output, Credential, RestClient> {
      return restListAction(definition);
    },
    poll<With extends z.ZodType, Data extends z.ZodType>(
      definition: RestPollDefinition<With, Data, Credential>,
    ): PollTriggerDefinition<With, Data, z.ZodType, Credential, RestClient> {
      return restPollTrigger(definition);
    },
  };
}
