import type { z } from 'zod';
import type { ActionDefinition } from './define.ts';

export type ConnectorKit<Credential, Client> = {
  /** Declares one action; Input and Output are inferred from its `input` and `output` schemas. */
  action<Input extends z.ZodType, Output extends z.ZodType>(
    definition: ActionDefinition<Input, Output, Credential, Client>,
  ): ActionDefinition<Input, Output, Credential, Client>;
};

/**
 * A connector's typed builders, bound once to its credential and client types, so each action needs no
 * explicit generics: `export const { action } = connectorKit<GithubCredential, GithubClient>()` beside the
 * client, then `export const addLabels = action({ key: 'addLabels', input, output, run })`.
 */
export function connectorKit<Credential, Client>(): ConnectorKit<Credential, Client> {
  return { action: (definition) => definition };
}
