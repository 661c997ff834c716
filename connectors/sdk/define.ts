import type { z } from 'zod';
import type { Logger } from '../../lib/logger.ts';

export type ActionEffect = 'read' | 'write';

/** Where a connector's clients send their requests; tests point these at local fakes. */
export type ConnectorEnvironment = {
  /** Base URL overrides by connector id, e.g. { slack: 'http://127.0.0.1:4100/api/' }. */
  baseUrls: Record<string, string | undefined>;
  /** The fetch every outbound request made on a workflow's behalf goes through (SSRF-guarded in production). */
  fetch: typeof fetch;
  logger: Logger;
};

export type ActionContext<Credential, Client> = {
  /** The decrypted credential, parsed by the connector's credential schema (undefined when none is bound). */
  credential: Credential | undefined;
  client: Client;
  logger: Logger;
  /** Aborted when the step's timeout passes or the run is cancelled. */
  signal: AbortSignal;
  /** 1 on the first attempt. */
  attempt: number;
  /** Stable per run, node and foreach index: the same on every retry of this step. */
  idempotencyKey: string;
  /** Which run and node this call belongs to (for logs and idempotency). */
  node: { id: string; runId: string };
  env: ConnectorEnvironment;
};

export type ActionDefinition<
  Input extends z.ZodType = z.ZodType,
  Output extends z.ZodType = z.ZodType,
  Credential = unknown,
  Client = unknown,
> = {
  key: string;
  title: string;
  /** Written for a model and a person: what it does and when to use it. */
  description: string;
  effect: ActionEffect;
  /** Whether running it twice with the same idempotency key has the effect of running it once. */
  idempotent: boolean;
  /**
   * Parameters that must be written literally (e.g. SQL text): an expression in them is a validation error,
   * so data from a trigger can never become code. Values go through the action's other parameters.
   */
  literalInputs?: readonly string[];
  input: Input;
  output: Output;
  run(input: z.output<Input>, ctx: ActionContext<Credential, Client>): Promise<z.input<Output>>;
};

export type TriggerKind = 'webhook' | 'event' | 'poll';

export type TriggerDefinition<With extends z.ZodType = z.ZodType> = {
  key: string;
  title: string;
  description: string;
  kind: TriggerKind;
  /** Filters the workflow's trigger.with may set. */
  with: With;
  /** Example trigger data: what `trigger` looks like in expressions. */
  sample: unknown;
  /** Whether trigger data passes the workflow's `trigger.with` filters (already parsed by `with`). */
  matches?(filters: z.output<With>, data: unknown): boolean;
};

export type CredentialDefinition<Schema extends z.ZodType = z.ZodType> = {
  /** The credential type a user stores, e.g. `slack` (`vmesh credentials set NAME --type slack`). */
  type: string;
  schema: Schema;
  /** How to obtain it, for people and for proposals that need a missing credential. */
  howToGet: string;
  /** The connector works without it (e.g. `http` against a public API). Default false. */
  optional?: boolean;
  /**
   * Maps a bare token (what `vmesh credentials set NAME --type T` reads when stdin is not a JSON object)
   * to the credential's shape, e.g. `(token) => ({ token })`.
   */
  fromToken?(token: string): unknown;
};

export type ConnectorDefinition<Credential = unknown, Client = unknown> = {
  id: string;
  version: string;
  title: string;
  description: string;
  credential?: CredentialDefinition;
  /** Called once per action call; `signal` (when given) aborts the client's requests. */
  createClient(options: {
    credential: Credential | undefined;
    env: ConnectorEnvironment;
    signal?: AbortSignal;
  }): Client;
  actions: ActionDefinition<z.ZodType, z.ZodType, Credential, Client>[];
  triggers: TriggerDefinition[];
  /** Absolute path of doc.md, indexed for retrieval. */
  docPath: string;
};

export function defineAction<
  Input extends z.ZodType,
  Output extends z.ZodType,
  Credential = unknown,
  Client = unknown,
>(
  action: ActionDefinition<Input, Output, Credential, Client>,
): ActionDefinition<Input, Output, Credential, Client> {
  return action;
}

export function defineTrigger<With extends z.ZodType>(
  trigger: TriggerDefinition<With>,
): TriggerDefinition<With> {
  return trigger;
}

export function defineConnector<Credential, Client>(
  connector: ConnectorDefinition<Credential, Client>,
): ConnectorDefinition<Credential, Client> {
  return connector;
}
