import { z } from 'zod';
import type {
  ActionCheckContext,
  ActionIssue,
  ConnectorDefinition,
  StdioServers,
} from '../../connectors/index.ts';
import { configuredStdioServers, triggerCredentialOf } from '../../connectors/index.ts';
import { coreNodes } from '../nodes/index.ts';
import { FormTriggerWith } from './form-trigger-with.ts';
import { withBackfill } from './poll-trigger-with.ts';
import { WebhookTriggerWith } from './webhook-trigger-with.ts';
import { WorkflowFailedWith } from './workflow-failed-trigger.ts';

/** Something a node's `uses` can name: a core node or a connector action. */
export type CatalogEntry = {
  uses: string;
  kind: 'core' | 'action';
  title: string;
  description: string;
  effect: 'pure' | 'read' | 'write';
  /** Whether a retry with the same idempotency key has the effect of one call (undefined for core nodes). */
  idempotent?: boolean;
  /** Where the step reads or writes, from its `with` as written (ActionDefinition.describeTarget). */
  describeTarget?: (withValue: Record<string, unknown>) => string | null;
  /** The schema of the node's `with`. */
  input: z.ZodType;
  output: z.ZodType | undefined;
  /** The credential type the action needs (`connector.credential.type`), or undefined. */
  credentialType: string | undefined;
  /** Other credential types it takes instead (http.request: every auth style). */
  credentialAlternatives?: readonly string[];
  /** Parameters that must not hold `{{ }}` expressions (the action treats them as code, e.g. SQL text). */
  literalInputs?: readonly string[];
  /** `imported`: from a third party's document (OpenAPI): its texts are untrusted. */
  origin?: 'builtin' | 'imported';
  /** The action's own checks of `with` (see ActionDefinition.checkWith), bound to the operator's configuration. */
  checkWith?: (withValue: Record<string, unknown>) => ActionIssue[];
  /** The branches outgoing edges may name, given the node's `with` ("error" with onError "route" comes on top). */
  branches(withValue: Record<string, unknown>): string[];
};

/** Something `trigger.type` can name: a core trigger or a connector trigger. */
export type TriggerEntry = {
  type: string;
  title: string;
  description: string;
  /** The schema of `trigger.with`. */
  with: z.ZodType;
  /** Example trigger data: what `trigger` holds in expressions. */
  sample: unknown;
  /** The connector that provides it (undefined for core triggers). */
  connectorId: string | undefined;
  /** The credential type the trigger needs, or undefined. */
  credentialType?: string | undefined;
  /** How a connector trigger is started (its definition's kind); undefined for core triggers. */
  delivery?: 'webhook' | 'event' | 'poll' | undefined;
  /** The events to pick at the sender (the connector trigger's senderEvents). */
  senderEvents?: readonly string[] | undefined;
  /** The trigger registers itself at the sender on activation: nobody configures anything there. */
  registersItself?: boolean | undefined;
};

export type Catalog = {
  lookupAction(uses: string): CatalogEntry | undefined;
  lookupTrigger(type: string): TriggerEntry | undefined;
  actions(): CatalogEntry[];
  triggers(): TriggerEntry[];
};

/** The core triggers (schedule's options are fields of `trigger` itself: cron, timezone). */
export const coreTriggers: TriggerEntry[] = [
  {
    type: 'manual',
    title: 'Manual',
    description:
      'Runs when someone starts it (chat, CLI `vmesh run --input JSON`, API). trigger holds the given input.',
    with: z.strictObject({}),
    sample: { any: 'JSON given when starting the run' },
    connectorId: undefined,
  },
  {
    type: 'webhook',
    title: 'Webhook',
    description:
      "Runs on an HTTP request to the workflow's webhook URL. trigger holds { method, headers, query, body }. " +
      'Use core.respond to set the HTTP response. with.verify picks the signature scheme: vmesh (default), github, ' +
      'stripe, shopify, standard-webhooks, slack, typeform, linear, twilio, hmac ({ header, algorithm, encoding, prefix? }) or token ' +
      '(POST /hooks/:workflowId/:secret). A multipart/form-data upload gives body { fields: { <name>: text }, ' +
      'files: { <name>: file reference } } for file.extract or http.request; list the file parts in with.files.',
    with: WebhookTriggerWith,
    sample: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      query: {},
      body: { example: true },
    },
    connectorId: undefined,
  },
  {
    type: 'form',
    title: 'Hosted form',
    description:
      'Serves a form page at GET /forms/:workflowId (public: anyone with the link; the workflow must be active). ' +
      'with: { title, description?, thankYou?, fields: [{ name, label, type: text|email|number|select|checkbox|' +
      'textarea|date|file, required?, options? (select), maxLength?, accept? and multiple? (file) }] }. Each valid ' +
      'submission starts one run; trigger holds { fields: { <name>: value }, submittedAt } (number → number, ' +
      'checkbox → boolean, date → "YYYY-MM-DD", file → a file reference { id, name, contentType, size, sha256 } ' +
      '(multiple: a list) for file.extract or http.request, empty → null), e.g. {{ trigger.fields.email }}. The ' +
      'submitter sees with.thankYou, or the core.respond result.',
    with: FormTriggerWith,
    sample: {
      fields: { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'team', newsletter: true },
      submittedAt: '2030-01-07T09:00:00.000Z',
    },
    connectorId: undefined,
  },
  {
    type: 'schedule',
    title: 'Schedule',
    description:
      'Runs on a cron schedule: trigger.cron (5 fields, or 6 with seconds first, e.g. "0 9 * * 1-5"), optional ' +
      'trigger.timezone (IANA, e.g. "Europe/Paris"; default UTC). trigger holds { scheduledAt }.',
    with: z.strictObject({}),
    sample: { scheduledAt: '2030-01-07T09:00:00.000Z' },
    connectorId: undefined,
  },
  {
    type: 'chat',
    title: 'Chat message',
    description:
      'Runs on each message in the conversation where the workflow was made (the agent still answers it). ' +
      'trigger holds { text, actor: { id }, threadKey, conversationId }.',
    with: z.strictObject({}),
    sample: {
      text: 'hello',
      actor: { id: 'slack:T1:U123' },
      threadKey: 'slack:T1:C1:1700000000.000100',
      conversationId: 'conv_0123456789abcdef',
    },
    connectorId: undefined,
  },
  {
    type: 'workflow.failed',
    title: 'Workflow failed',
    description:
      'Runs once when a run of another workflow fails for good (an error handler). with.workflows: the ids of the ' +
      'workflows to watch (none or empty: every workflow the owner may read). trigger holds { runId, workflow: ' +
      '{ id, name }, failedStep: { id, path } | null, error (secrets redacted), failedAt }. A run started by this ' +
      'trigger that fails starts no workflow.failed workflow (no loops).',
    with: WorkflowFailedWith,
    sample: {
      runId: 'run_0123456789abcdef',
      workflow: { id: 'wf_0123456789abcdef', name: 'Sync invoices' },
      failedStep: { id: 'fetch', path: '' },
      error: {
        code: 'E_HTTP',
        message: 'GET https://api.example.com/invoices answered 500',
        retryable: true,
      },
      failedAt: '2030-01-07T09:00:00.000Z',
    },
    connectorId: undefined,
  },
];

function toCatalogEntries(connector: ConnectorDefinition, context: ActionCheckContext): CatalogEntry[] {
  return connector.actions.map((action) => ({
    uses: `${connector.id}.${action.key}`,
    kind: 'action',
    title: action.title,
    description: action.description,
    effect: action.effect,
    idempotent: action.idempotent,
    ...(action.describeTarget ? { describeTarget: action.describeTarget } : {}),
    input: action.input,
    output: action.output,
    credentialType: connector.credential?.type,
    credentialAlternatives: (connector.credential?.alternatives ?? []).map((style) => style.type),
    literalInputs: action.literalInputs ?? [],
    origin: connector.origin ?? 'builtin',
    ...(action.checkWith
      ? { checkWith: (withValue: Record<string, unknown>) => action.checkWith?.(withValue, context) ?? [] }
      : {}),
    branches: () => [],
  }));
}

function toTriggerEntries(connector: ConnectorDefinition): TriggerEntry[] {
  return connector.triggers.map((trigger) => ({
    type: `${connector.id}.${trigger.key}`,
    title: trigger.title,
    description: trigger.description,
    with: trigger.kind === 'poll' ? withBackfill(trigger.with) : trigger.with,
    sample: trigger.sample,
    connectorId: connector.id,
    credentialType: triggerCredentialOf(connector, trigger)?.type,
    delivery: trigger.kind,
    senderEvents: trigger.senderEvents,
    registersItself: 'subscription' in trigger,
  }));
}

/**
 * The catalog of everything a workflow document may name: core nodes, the connectors' actions and triggers,
 * and any extra actions. Throws when two entries share a name (a programming error).
 */
export function createCatalog(
  connectors: ConnectorDefinition[],
  extra: { actions?: CatalogEntry[]; stdioServers?: StdioServers } = {},
): Catalog {
  // The operator's allow-list of stdio MCP servers, from this process's environment unless given.
  const context: ActionCheckContext = { stdioServers: extra.stdioServers ?? configuredStdioServers() };
  const actionEntries: CatalogEntry[] = [
    ...coreNodes.map(
      (node): CatalogEntry => ({
        uses: node.uses,
        kind: 'core',
        title: node.title,
        description: node.description,
        effect: node.effect,
        input: node.with,
        output: undefined,
        credentialType: node.credentialType,
        branches: node.branches,
      }),
    ),
    ...connectors.flatMap((connector) => toCatalogEntries(connector, context)),
    ...(extra.actions ?? []),
  ];
  const triggerEntries = [...coreTriggers, ...connectors.flatMap(toTriggerEntries)];
  const actions = new Map<string, CatalogEntry>();
  for (const entry of actionEntries) {
    if (actions.has(entry.uses)) throw new Error(`catalog: two actions are named "${entry.uses}"`);
    actions.set(entry.uses, entry);
  }
  const triggers = new Map<string, TriggerEntry>();
  for (const entry of triggerEntries) {
    if (triggers.has(entry.type)) throw new Error(`catalog: two triggers are named "${entry.type}"`);
    triggers.set(entry.type, entry);
  }
  return {
    lookupAction: (uses) => actions.get(uses),
    lookupTrigger: (type) => triggers.get(type),
    actions: () => [...actions.values()],
    triggers: () => [...triggers.values()],
  };
}
