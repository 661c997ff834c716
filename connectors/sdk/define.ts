import type { z } from 'zod';
import type { Logger } from '../../lib/index.ts';
import type { OAuth2TokenSource } from './auth/oauth2.ts';
import type { OAuth2Provider } from './auth/oauth2-provider.ts';
import type { FilePort } from './files.ts';
import type { KnowledgeBasePort } from './knowledge-base-port.ts';
import type { OpenSocket } from './outbound/guarded-socket.ts';
import type { StdioServers } from './stdio-servers.ts';
import type { WorkflowState } from './workflow-state.ts';

/**
 * `pure`: works only on its input (no I/O, the same output for the same input; a dry run may skip it); `read`:
 * reads outside state; `write`: changes outside state.
 */
export type ActionEffect = 'pure' | 'read' | 'write';

/** Where a connector's clients send their requests; tests point these at local fakes. */
export type ConnectorEnvironment = {
  /** Base URL overrides by connector id, e.g. { slack: 'http://127.0.0.1:4100/api/' }. */
  baseUrls: Record<string, string | undefined>;
  /** The fetch every outbound request made on a workflow's behalf goes through (SSRF-guarded in production). */
  fetch: typeof fetch;
  /**
   * The only way a connector opens its own TCP connection (SMTP, Postgres): the same address policy as `fetch`.
   * Without one, connectors use the guard with an empty allow-list (see `socketOpenerOf`).
   */
  openSocket?: OpenSocket;
  /** Local programs the operator allows workflows to start (VMESH_MCP_STDIO_SERVERS); none when absent. */
  stdioServers?: StdioServers;
  logger: Logger;
  /** Renews the step's oauth2 credential (the engine sets it for a step whose credential is oauth2). */
  tokens?: OAuth2TokenSource | undefined;
  /**
   * Tells the step's rate budget that the vendor said its limit is spent (remaining 0 with a reset time) on an
   * answer that still succeeded: the credential is held back for `waitMs` before a 429 comes. The engine binds it
   * per step with a credential.
   */
  reportRateLimit?: ((waitMs: number) => Promise<void>) | undefined;
  /** The workspace knowledge base on the product's Postgres (`kb.*` actions); absent where none is wired. */
  knowledgeBase?: KnowledgeBasePort | undefined;
  /** The running workflow's own key-value store (state.* actions); the engine binds it per step. */
  workflowState?: WorkflowState | undefined;
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
  /** The run's files: write a stream and get a FileRef for the output, or read a FileRef from the input. */
  files: FilePort;
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
   * Where it reads or writes, in the service's words, from the node's `with` as written (values may still be
   * `{{ }}` expressions): "the Google Sheet 'Leads', tab 'Sheet1'". The approval card says "writes to …"; null
   * when the `with` does not say.
   */
  describeTarget?(withValue: Record<string, unknown>): string | null;
  /**
   * Parameters that must be written literally (e.g. SQL text): an expression in them is a validation error,
   * so data from a trigger can never become code. Values go through the action's other parameters.
   */
  literalInputs?: readonly string[];
  /**
   * Checks on the node's `with` that a schema cannot express, run by the validator on the document as written
   * and again on the evaluated input before each call.
   */
  checkWith?(withValue: Record<string, unknown>, context: ActionCheckContext): ActionIssue[];
  input: Input;
  output: Output;
  run(input: z.output<Input>, ctx: ActionContext<Credential, Client>): Promise<z.input<Output>>;
};

/** What an action's `checkWith` may consult: the operator's configuration, never the data of a run. */
export type ActionCheckContext = { stdioServers: StdioServers };

/**
 * One problem `checkWith` found: `field` is a JSON Pointer inside the node's `with`; `code` is the error code of
 * the step when it is found at run time (the validator reports it as E_PARAMS, naming the code).
 */
export type ActionIssue = { code: string; field: string; message: string; hint: string };

/** The parts of an HTTP delivery a webhook trigger reads. Header names are lower case. */
export type WebhookDelivery = {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The exact bytes received: signatures are computed over these. */
  rawBody: Buffer;
  /** The body parsed as JSON, or null when it was empty or not JSON. */
  body: unknown;
  /**
   * The public URL the sender addressed (VMESH_PUBLIC_URL + the hook path and query as received), for senders that
   * sign the URL (Twilio); undefined when the server has no public URL.
   */
  url?: string | undefined;
};

/** A GET to a hook URL, by which a sender checks the URL is yours before it delivers (Meta's `hub.challenge`). */
export type WebhookChallenge = {
  /** The query string's parameters (the first value of a repeated one). */
  query: Readonly<Record<string, string>>;
  headers: Readonly<Record<string, string | string[] | undefined>>;
};

type TriggerBase<With extends z.ZodType, Data extends z.ZodType> = {
  key: string;
  title: string;
  description: string;
  /** Filters the workflow's trigger.with may set. */
  with: With;
  /** What `trigger` holds in expressions: the data a run starts with. */
  data: Data;
  /** Example trigger data. */
  sample: z.output<Data>;
  /**
   * The events a person picks at the sender so its deliveries reach this trigger, in the sender's words (GitHub's
   * "Issues"); shown in the proposal card's setup at the sender.
   */
  senderEvents?: readonly string[];
  /**
   * The credential this trigger reads, when it is not the connector's: `email.received` logs in over IMAP while
   * the connector's actions send over SMTP. Undefined: the connector's (see `triggerCredentialOf`).
   */
  credential?: CredentialDefinition;
  /**
   * Whether trigger data passes the workflow's `trigger.with` filters (already parsed by `with`). `data` is what
   * `parse` returned, typed unknown so callers may test any value: check it with the `data` schema.
   */
  matches?(filters: z.output<With>, data: unknown): boolean;
};

/** What a webhook subscription's `create` and `delete` get: the workflow's trigger credential and a client. */
export type SubscriptionContext<Credential, Client> = PollContext<Credential, Client>;

/** A subscription as the vendor created it: its id, and its own signing secret when the vendor makes one. */
export type CreatedSubscription = {
  /** The vendor's id of the subscription (GitHub's hook id), which `delete` is given. */
  id: string;
  /** The vendor's signing secret (Stripe's whsec_…), stored as the workflow's hook secret instead of ours. */
  secret?: string;
};

/**
 * How a webhook trigger registers its delivery URL through the vendor's API (`runtime/triggers/subscriptions.ts`
 * calls it when the workflow is activated, and `delete` when it is deactivated, deleted or changes trigger).
 * Both are retried: `create` must find a subscription an earlier attempt made for the same `url` and reuse it
 * (with `secret`), never make a second one; `delete` of a subscription already gone must succeed.
 */
export type WebhookSubscription<Filters = unknown, Credential = unknown, Client = unknown> = {
  /**
   * `url` is the workflow's hook URL; `secret` a new random secret to give the vendor to sign deliveries with.
   * Return `secret` only when the vendor signs with one of its own instead.
   */
  create(
    ctx: SubscriptionContext<Credential, Client>,
    filters: Filters,
    hook: { url: string; secret: string },
  ): Promise<CreatedSubscription>;
  delete(
    ctx: SubscriptionContext<Credential, Client>,
    filters: Filters,
    subscription: { id: string },
  ): Promise<void>;
  /**
   * The part of the filters the vendor subscription depends on (GitHub: the repository): when it changes, the old
   * subscription is deleted and a new one created. Default: all the filters.
   */
  target?(filters: Filters): unknown;
};

/** What a handshake delivery gives: the vendor's signing secret and the response headers it expects back. */
export type WebhookHandshake = { secret: string; responseHeaders: Readonly<Record<string, string>> };

/** Started by an HTTP delivery to the workflow's hook URL (`POST /hooks/:workflowId`), e.g. a GitHub webhook. */
export type WebhookTriggerDefinition<
  With extends z.ZodType = z.ZodType,
  Data extends z.ZodType = z.ZodType,
> = TriggerBase<With, Data> & {
  kind: 'webhook';
  /** Whether the delivery was signed with `secret`, the workflow's hook secret (compare in constant time). */
  verify(delivery: WebhookDelivery, secret: string): boolean;
  /** Trigger data, or undefined for a delivery that starts no run (an event or action it does not listen to). */
  parse(delivery: WebhookDelivery): z.output<Data> | undefined;
  /** The sender's id of this delivery: a redelivery with the same id returns the first run. */
  deliveryId?(delivery: WebhookDelivery): string | undefined;
  /**
   * The answer the sender expects to a delivery, instead of 202 { runId } or 200 { ignored } (Twilio: empty
   * TwiML). A workflow that answers with core.respond still answers with its own response.
   */
  reply?: { contentType: string; body: string };
  /**
   * Answers `GET /hooks/:workflowId`, the sender's check that the URL is yours (Meta: hub.mode=subscribe,
   * hub.verify_token → echo hub.challenge): the text to answer 200 with, or undefined to refuse it (403).
   * `secrets` are the workflow's hook secrets (a verify token can be derived from one, so none is written in the
   * workflow). Without it such a GET is 404.
   */
  challenge?(
    request: WebhookChallenge,
    filters: z.output<With>,
    secrets: readonly string[],
  ): string | undefined;
  /**
   * A delivery that sets the subscription up instead of carrying an event (Asana's first POST with X-Hook-Secret,
   * sent while `subscription.create` waits for the vendor's answer): the signing secret the vendor uses from then on,
   * and the headers to answer with. The runtime takes one handshake per creation attempt, only while
   * `subscription.create` runs, and makes the secret the workflow's hook secret; any other time it is refused (401).
   */
  handshake?(delivery: WebhookDelivery): WebhookHandshake | undefined;
  /**
   * Registers the hook at the vendor by itself when the workflow's trigger has a `credential` (otherwise the user
   * adds the hook URL and secret at the vendor by hand).
   */
  subscription?: WebhookSubscription<z.output<With>>;
};

/** Started by events a front-end receives and hands to the runtime (e.g. the Slack bot's Events API). */
export type EventTriggerDefinition<
  With extends z.ZodType = z.ZodType,
  Data extends z.ZodType = z.ZodType,
> = TriggerBase<With, Data> & {
  kind: 'event';
  /** Trigger data from one vendor event, or undefined for an event that starts no run. */
  parse(event: unknown): z.output<Data> | undefined;
};

/** What a poll trigger's `poll` gets: the workflow's trigger credential and a client, as an action does. */
export type PollContext<Credential, Client> = {
  credential: Credential | undefined;
  client: Client;
  logger: Logger;
  /** Aborted when the poll takes too long or the worker stops. */
  signal: AbortSignal;
  env: ConnectorEnvironment;
  /**
   * Where a poll stores files for the runs its items start (an email's attachments): put the FileRefs in the item's
   * data, and the runtime ties each file to the run of the item whose data names it (files no run claims, e.g.
   * of a duplicate, are deleted after the poll). Absent when this poll starts no runs (the first poll after
   * activation without backfill): list files without storing them then.
   */
  files?: FilePort | undefined;
};

/**
 * Where a poll has got to: the newest item already handled, ordered by (`at`, `id`). `at` is the vendor's ordering
 * of items: a timestamp in ms for feeds and APIs, or a number that only grows, such as an IMAP UID.
 */
export type PollWatermark = { at: number; id: string };

/** What one poll is asked for. The connector may use `after` to ask the vendor for less; the runtime filters anyway. */
export type PollRequest<State> = {
  /** The newest item handled so far; undefined on the first poll after activation. */
  after: PollWatermark | undefined;
  /** What this trigger kept from its previous poll (`state` schema), e.g. an IMAP mailbox's UIDVALIDITY. */
  state: State | undefined;
};

/** One item a poll found: `id` is stable per item (one run per id, however often it is seen). */
export type PolledItem<Data> = { id: string; at: number; data: Data };

export type PollResult<Data, State> = {
  /** The items the vendor lists now, in any order; the runtime picks the new ones. */
  items: PolledItem<Data>[];
  /** Kept for the next poll (parsed with `state`). */
  state?: State;
  /**
   * The vendor's ordering started over (an IMAP mailbox's UIDVALIDITY changed): the runtime forgets its watermark
   * and treats this poll like a first one, recording what is there without starting runs.
   */
  restarted?: boolean;
};

/**
 * Started by asking the vendor for the items it lists now, every `intervalMs(filters)`. The connector only says how
 * to fetch; the runtime (`runtime/triggers/poll.ts`) owns the rest: the watermark, the seen ids, the first poll that
 * records without firing (or fires the newest `trigger.with.backfill`), one job per workflow, backoff and stalls.
 */
export type PollTriggerDefinition<
  With extends z.ZodType = z.ZodType,
  Data extends z.ZodType = z.ZodType,
  State extends z.ZodType = z.ZodType,
  Credential = unknown,
  Client = unknown,
> = TriggerBase<With, Data> & {
  kind: 'poll';
  /** Time between two polls of one workflow, from its filters (e.g. `intervalSeconds`). */
  intervalMs(filters: z.output<With>): number;
  /** The shape of what `poll` keeps between polls. */
  state: State;
  poll(
    ctx: PollContext<Credential, Client>,
    filters: z.output<With>,
    request: PollRequest<z.output<State>>,
  ): Promise<PollResult<z.output<Data>, z.output<State>>>;
};

/** One member per way a trigger is started; runtime/triggers/ dispatches each kind. */
export type TriggerDefinition<With extends z.ZodType = z.ZodType, Data extends z.ZodType = z.ZodType> =
  | WebhookTriggerDefinition<With, Data>
  | EventTriggerDefinition<With, Data>
  | PollTriggerDefinition<With, Data>;

export type TriggerKind = TriggerDefinition['kind'];

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
  /**
   * The exact strings a use of this credential puts on the wire besides its own fields: a whole
   * `Authorization` value, the base64 of `user:password`, a password taken out of a URL. They are registered
   * with the redactor wherever the credential is decrypted, so an echo of what was SENT is redacted too.
   * Called with the credential as `schema` parsed it.
   */
  wireSecrets?(credential: z.output<Schema>): string[];
  /**
   * Top-level fields that are settings, not secrets (a host, a sender, a scheme name): not registered with the
   * redactor, so errors and outputs can still name them. Every other string field is treated as a secret.
   */
  publicFields?: readonly string[];
  /**
   * Further credential types the connector takes besides `type` (http.request and imported OpenAPI connectors take
   * every auth style of `sdk/auth`). A node's credential of one of them is checked with that type's schema; the
   * stored credential's type decides which.
   */
  alternatives?: readonly CredentialDefinition[];
  /**
   * What the connector's client receives for a credential of `type` (this one's or an alternative's), as that
   * type's schema parsed it. Default: the parsed credential itself.
   */
  adopt?(type: string, credential: unknown): unknown;
};

/**
 * A vendor's documented request limit per credential: `requests` per `perSeconds`, and at most `burst` at once
 * (default `requests`). The engine keeps one token bucket per credential in Postgres (connection_budgets), shared by
 * every workflow and worker, and queues a step until its token is due instead of letting it meet a 429.
 */
export type RateLimit = { requests: number; perSeconds: number; burst?: number };

export type ConnectorDefinition<Credential = unknown, Client = unknown> = {
  id: string;
  version: string;
  title: string;
  description: string;
  credential?: CredentialDefinition;
  /**
   * OAuth2 provider presets this connector brings (`vmesh credentials connect NAME --type oauth2 --provider ID`):
   * the vendor's endpoints, default scopes and token-endpoint quirks. Ids are unique across connectors.
   */
  oauthProviders?: readonly OAuth2Provider[];
  /** The vendor's documented limit per credential (see RateLimit); a 429 tightens any credential's budget anyway. */
  rateLimit?: RateLimit;
  /** Called once per action call; `signal` (when given) aborts the client's requests. */
  createClient(options: {
    credential: Credential | undefined;
    env: ConnectorEnvironment;
    signal?: AbortSignal;
  }): Client;
  actions: ActionDefinition<z.ZodType, z.ZodType, Credential, Client>[];
  triggers: TriggerDefinition[];
  /**
   * A read-only request that says whether the vendor accepts the credential (`vmesh credentials test`, `POST
   * /api/credentials/:name/test`): resolves with who the vendor says it is, throws the connector's mapped error
   * (E_AUTH when the vendor refuses it).
   */
  testCredential?(ctx: { credential: Credential; client: Client; signal: AbortSignal }): Promise<string>;
  /** Absolute path of doc.md, indexed for retrieval. */
  docPath: string;
  /** `imported`: built from a third party's document (OpenAPI), so its titles and descriptions are untrusted text. */
  origin?: 'builtin' | 'imported';
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

export function defineTrigger<With extends z.ZodType, Data extends z.ZodType>(
  trigger: TriggerDefinition<With, Data>,
): TriggerDefinition<With, Data> {
  return trigger;
}

/** A poll trigger, with the connector's credential and client types (defineTrigger infers neither). */
export function definePollTrigger<
  With extends z.ZodType,
  Data extends z.ZodType,
  State extends z.ZodType,
  Credential = unknown,
  Client = unknown,
>(
  trigger: PollTriggerDefinition<With, Data, State, Credential, Client>,
): PollTriggerDefinition<With, Data, State, Credential, Client> {
  return trigger;
}

export function defineConnector<Credential, Client>(
  connector: ConnectorDefinition<Credential, Client>,
): ConnectorDefinition<Credential, Client> {
  return connector;
}
