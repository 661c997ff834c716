import { z } from 'zod';

/** A core node: built into the engine, named `core.<name>`. */
export type CoreNodeDefinition = {
  uses: `core.${string}`;
  title: string;
  /** Written for a model: what it does, when to use it, what it outputs. */
  description: string;
  effect: 'pure' | 'read' | 'write';
  /** Its `with`, checked by the validator. */
  with: z.ZodType;
  /** The branches its outgoing edges may name (besides "error" with onError: "route"). */
  branches(withValue: Record<string, unknown>): string[];
  /** `with` fields that are not templates: the engine passes them through without evaluating `{{ }}`. */
  literalFields: string[];
};

/** Case names of core.switch: they become branch names, so they are identifier-like (and never "default"/"error"). */
export const SWITCH_CASE_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_-]{0,62}$/;
const RESERVED_BRANCHES = ['default', 'error'];
export const MAX_FOREACH_CONCURRENCY = 50;
export const MAX_DELAY_MS = 366 * 24 * 3600 * 1000;
export const MAX_CODE_LENGTH = 100_000;

const condition = z
  .boolean()
  .describe('A boolean, almost always one expression such as "{{ trigger.body.amount > 100 }}".');

const noBranches = (): string[] => [];

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...parameters: string[]
) => unknown;

/** The syntax error of a core.code body, or undefined. Compiles the function without running it. */
export function codeSyntaxError(code: string): string | undefined {
  try {
    new AsyncFunction('input', code);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export const CoreIfWith = z.strictObject({ condition });
export const CoreSwitchWith = z.strictObject({
  cases: z
    .record(
      z
        .string()
        .regex(SWITCH_CASE_PATTERN, 'a case name is a letter or _ then letters, digits, _ or - (at most 63)'),
      condition,
    )
    .refine((cases) => Object.keys(cases).length > 0, 'cases needs at least one case')
    .refine(
      (cases) => !Object.keys(cases).some((name) => RESERVED_BRANCHES.includes(name)),
      '"default" and "error" are reserved branch names and cannot be case names',
    )
    .describe(
      'Case name → condition, evaluated in order; the first true case is the branch taken, else "default".',
    ),
});
export const CoreForeachWith = z.strictObject({
  items: z
    .array(z.unknown())
    .describe('The list to loop over, usually one expression such as "{{ trigger.body.rows }}".'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(MAX_FOREACH_CONCURRENCY)
    .default(1)
    .describe(`How many items run at once, 1–${MAX_FOREACH_CONCURRENCY} (default 1).`),
});
export const CoreMergeWith = z.strictObject({});
export const CoreDelayWith = z
  .strictObject({
    ms: z.number().int().min(0).max(MAX_DELAY_MS).optional().describe('How long to wait, in milliseconds.'),
    until: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Wait until this ISO 8601 time with a zone, e.g. "2030-01-01T09:00:00Z".'),
  })
  .refine(
    (value) => (value.ms === undefined) !== (value.until === undefined),
    'set exactly one of "ms" or "until"',
  );
export const CoreApprovalWith = z.strictObject({
  message: z.string().min(1).max(4000).describe('What the approver is asked, shown in the chat.'),
  approvers: z
    .array(z.string().min(1).max(200))
    .optional()
    .describe('Who may decide (chat user ids or names); anyone in the conversation when omitted.'),
});
export const CoreTransformWith = z.strictObject({
  value: z.unknown().describe('The output: usually one expression, or an object/array holding expressions.'),
});
export const CoreCodeWith = z.strictObject({
  code: z
    .string()
    .min(1)
    .max(MAX_CODE_LENGTH)
    .superRefine((code, context) => {
      const syntaxError = codeSyntaxError(code);
      if (syntaxError !== undefined)
        context.addIssue({ code: 'custom', message: `JavaScript syntax error: ${syntaxError}` });
    })
    .describe(
      'The body of an async JavaScript function of one argument `input`; `return` a JSON value. No I/O.',
    ),
  input: z.unknown().optional().describe('The value passed as `input` (expressions evaluated first).'),
});
export const CoreSubworkflowWith = z.strictObject({
  workflow: z.string().min(1).max(200).describe('The id or name of the workflow to run.'),
  input: z.unknown().optional().describe("The child run's trigger data (default {})."),
});
export const CoreRespondWith = z.strictObject({
  status: z.number().int().min(100).max(599).describe('HTTP status code, e.g. 200.'),
  body: z.unknown().describe('The response body: JSON value or text.'),
  headers: z.record(z.string(), z.string()).optional().describe('Response headers.'),
});

export const coreNodes: CoreNodeDefinition[] = [
  {
    uses: 'core.if',
    title: 'If',
    description:
      'Branches on a condition. with.condition is a boolean expression, e.g. "{{ trigger.body.amount > 100 }}". ' +
      'Connect outgoing edges with branch "true" or "false"; nodes that depend only on the branch not taken are skipped.',
    effect: 'pure',
    with: CoreIfWith,
    branches: () => ['true', 'false'],
    literalFields: [],
  },
  {
    uses: 'core.switch',
    title: 'Switch',
    description:
      'Picks one of several branches. with.cases maps a case name to a condition; cases are tried in order and the ' +
      'first true one is the branch taken, else "default". Outgoing edges name a case or "default" as branch.',
    effect: 'pure',
    with: CoreSwitchWith,
    branches: (withValue) => {
      const cases = withValue.cases;
      const names =
        typeof cases === 'object' && cases !== null && !Array.isArray(cases)
          ? Object.keys(cases)
          : ([] as string[]);
      return [...names.filter((name) => !RESERVED_BRANCHES.includes(name)), 'default'];
    },
    literalFields: [],
  },
  {
    uses: 'core.foreach',
    title: 'For each',
    description:
      'Runs a body of nodes once per item of a list. with.items is the list (usually "{{ steps.x.output.rows }}"), ' +
      'with.concurrency how many at once (default 1). The body is the node\'s own "do": { "nodes", "edges" } beside ' +
      '"with"; body expressions read "item" and "index" and may read steps upstream of the loop. Output: the body\'s ' +
      'results in item order (per item: the output of its leaf node). Use it for every loop: edges may not form cycles.',
    effect: 'pure',
    with: CoreForeachWith,
    branches: noBranches,
    literalFields: [],
  },
  {
    uses: 'core.merge',
    title: 'Merge',
    description:
      'Joins branches: waits for all incoming edges that were not skipped, then outputs { <fromId>: output }. ' +
      'Use it after a core.if or core.switch when later steps must run whichever branch was taken. with is {}.',
    effect: 'pure',
    with: CoreMergeWith,
    branches: noBranches,
    literalFields: [],
  },
  {
    uses: 'core.delay',
    title: 'Delay',
    description:
      'Waits durably (survives restarts): with.ms milliseconds, or with.until an ISO 8601 time with a zone. ' +
      'Set exactly one.',
    effect: 'pure',
    with: CoreDelayWith,
    branches: noBranches,
    literalFields: [],
  },
  {
    uses: 'core.approval',
    title: 'Approval',
    description:
      'Pauses the run and asks in the chat where the workflow was made; with.message is the question, ' +
      'with.approvers optionally limits who may decide. Branches "approved" and "rejected". ' +
      'Use it before irreversible or costly steps.',
    effect: 'write',
    with: CoreApprovalWith,
    branches: () => ['approved', 'rejected'],
    literalFields: [],
  },
  {
    uses: 'core.transform',
    title: 'Transform',
    description:
      'Computes a value from the data so far: with.value, usually one expression such as ' +
      '"{{ steps.fetch.output.body.items[status = \'open\'].title }}" or an object of ' +
      'expressions. Output: the value. Prefer it over core.code for reshaping data.',
    effect: 'pure',
    with: CoreTransformWith,
    branches: noBranches,
    literalFields: [],
  },
  {
    uses: 'core.code',
    title: 'Code',
    description:
      'Runs JavaScript in a sandbox with time and memory limits and no I/O (no fetch, require, process or timers). ' +
      'with.code is the body of an async function of one argument `input`; with.input is evaluated first and passed in. ' +
      'Return a JSON value; it is the output. Use only when an expression in core.transform cannot do it. ' +
      'with.code is not a template: "{{ }}" inside it is left as is.',
    effect: 'pure',
    with: CoreCodeWith,
    branches: noBranches,
    literalFields: ['code'],
  },
  {
    uses: 'core.subworkflow',
    title: 'Sub-workflow',
    description:
      'Runs another saved workflow (with.workflow: its id or name) with with.input as its trigger data and waits ' +
      "for it. Output: the child run's output.",
    effect: 'write',
    with: CoreSubworkflowWith,
    branches: noBranches,
    literalFields: [],
  },
  {
    uses: 'core.respond',
    title: 'Respond to webhook',
    description:
      "Sets the HTTP response of a webhook-triggered run: with.status, with.body, optional with.headers. The run's " +
      'output becomes the body. Only meaningful when trigger.type is "webhook".',
    effect: 'write',
    with: CoreRespondWith,
    branches: noBranches,
    literalFields: [],
  },
];

const byUses = new Map(coreNodes.map((node) => [node.uses, node]));

export function findCoreNode(uses: string): CoreNodeDefinition | undefined {
  return byUses.get(uses as `core.${string}`);
}
