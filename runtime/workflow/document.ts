import { z } from 'zod';

export const NODE_ID_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;
/** `<connector>.<action>` or `core.<node>`; also the shape of connector trigger types. */
export const QUALIFIED_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}\.[a-zA-Z][a-zA-Z0-9_]{0,62}$/;

export const NodeId = z
  .string()
  .regex(NODE_ID_PATTERN, 'a node id starts with a letter and holds only letters, digits and _ (at most 63)')
  .describe('Unique node id: ^[a-zA-Z][a-zA-Z0-9_]{0,62}$');
export type NodeId = z.infer<typeof NodeId>;

export const RetryPolicy = z.looseObject({
  maxAttempts: z.number().int().min(1).max(25).default(3).describe('Attempts in all, 1–25 (default 3).'),
  initialDelayMs: z
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .optional()
    .describe('First backoff delay (default 1000).'),
  maxDelayMs: z
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .optional()
    .describe('Backoff ceiling (default 300000).'),
});
export type RetryPolicy = z.infer<typeof RetryPolicy>;

export const OnError = z.enum(['fail', 'continue', 'route']);
export type OnError = z.infer<typeof OnError>;

export const Edge = z.looseObject({
  from: NodeId.describe('Source node id.'),
  to: NodeId.describe('Target node id.'),
  branch: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Only follow this edge when the source takes this branch.'),
});
export type Edge = z.infer<typeof Edge>;

export const WorkflowNode = z.looseObject({
  id: NodeId,
  uses: z
    .string()
    .regex(
      QUALIFIED_NAME_PATTERN,
      'uses is "<connector>.<action>" or "core.<node>", e.g. "slack.postMessage"',
    )
    .describe('The action or core node this step runs, e.g. "slack.postMessage" or "core.if".'),
  name: z.string().max(200).optional().describe('A readable label.'),
  with: z
    .record(z.string(), z.unknown())
    .default({})
    .describe("The action's parameters; strings may hold {{ }} expressions."),
  credential: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Name of a stored credential (never the secret itself).'),
  retry: RetryPolicy.optional(),
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(86_400_000)
    .optional()
    .describe('Per-attempt timeout in milliseconds.'),
  onError: OnError.optional().describe(
    'fail (default) | continue | route (follow edges with branch "error").',
  ),
  get do() {
    return NodeGraph.optional().describe('core.foreach body: its own nodes and edges, run once per item.');
  },
});
export type WorkflowNode = {
  id: string;
  uses: string;
  name?: string | undefined;
  with: Record<string, unknown>;
  credential?: string | undefined;
  retry?: RetryPolicy | undefined;
  timeoutMs?: number | undefined;
  onError?: OnError | undefined;
  do?: NodeGraph | undefined;
  [extension: string]: unknown;
};

export const NodeGraph = z.looseObject({
  nodes: z.array(WorkflowNode).min(1, 'a graph needs at least one node'),
  edges: z.array(Edge).default([]),
});
export type NodeGraph = { nodes: WorkflowNode[]; edges: Edge[] };

export const CORE_TRIGGER_TYPES = [
  'manual',
  'webhook',
  'form',
  'schedule',
  'chat',
  'workflow.failed',
] as const;

export const Trigger = z.looseObject({
  type: z
    .string()
    .refine(
      (value) =>
        (CORE_TRIGGER_TYPES as readonly string[]).includes(value) || QUALIFIED_NAME_PATTERN.test(value),
      'trigger.type is manual, webhook, form, schedule, chat, workflow.failed or a connector trigger "<connector>.<trigger>"',
    )
    .describe(
      'manual | webhook | form | schedule | chat | workflow.failed | "<connector>.<trigger>" such as "github.issueOpened".',
    ),
  cron: z.string().optional().describe('schedule only: a cron expression, e.g. "0 9 * * 1-5".'),
  timezone: z
    .string()
    .optional()
    .describe('schedule only: an IANA time zone, e.g. "Europe/Paris" (default UTC).'),
  with: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Connector trigger parameters (filters); workflow.failed: { "workflows": ["wf_…"] }.'),
  credential: z.string().min(1).max(200).optional(),
});
export type Trigger = z.infer<typeof Trigger>;

export const WorkflowDocument = z.looseObject({
  schemaVersion: z.literal(1).describe('Always 1.'),
  name: z.string().min(1).max(200).describe('Short human name.'),
  description: z.string().max(4000).optional(),
  trigger: Trigger,
  vars: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Constants available as `vars` in expressions.'),
  nodes: z.array(WorkflowNode).min(1, 'a workflow needs at least one node'),
  edges: z.array(Edge).default([]),
});
export type WorkflowDocument = {
  schemaVersion: 1;
  name: string;
  description?: string | undefined;
  trigger: Trigger;
  vars?: Record<string, unknown> | undefined;
  nodes: WorkflowNode[];
  edges: Edge[];
  [extension: string]: unknown;
};

/** The JSON Schema of the workflow document, generated from the zod schema (for LLM providers, MCP and editors). */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(WorkflowDocument, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
}
