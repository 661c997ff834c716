import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { RunStatus } from '../store/run-status.ts';
import type { CoreAgentWith } from './agent.ts';
import type { Outcome } from './outcome.ts';

/**
 * What a core node reads of its workflow node. Structural, so declarations import neither the document module
 * nor the engine: the validator and the dry run load them without the engine.
 */
export type NodeCheckProblem = { code: string; field: string[]; message: string; hint: string };

export type NodeSpec = {
  id: string;
  uses: string;
  with: Record<string, unknown>;
  timeoutMs?: number | undefined;
};

/** What the engine gives a node's `run` (one attempt). */
export type NodeRunContext = {
  node: NodeSpec;
  /** Evaluates `{{ }}` templates in a value against the node's scope. */
  evaluate(value: unknown): Promise<unknown>;
  /** Records the step's input (kept when the node then fails); returns it. */
  setInput<T>(value: T): T;
  /** Outputs of the finished (succeeded or failed) steps on the node's incoming edges, by source node id. */
  incomingOutputs(): Record<string, unknown>;
  /** Runs JavaScript in the sandbox; `timeoutMs` lowers the default limit. */
  runCode(code: string, input: unknown, timeoutMs?: number): Promise<unknown>;
  /**
   * The workflow a core.subworkflow step may start for `ref` (an id; a name in documents stored before targets
   * were pinned). Throws a non-retryable failure when it is missing, inactive, another owner's, or too deep.
   */
  subworkflowTarget(ref: string): Promise<{ id: string; name: string }>;
  /**
   * Runs core.agent's loop (its evaluated, parsed `with`): model turns and tool calls recorded as sub-steps of
   * the step, replayed instead of repeated when the step runs again. Its output.
   */
  runAgent(input: CoreAgentWith): Promise<AgentRun>;
};

/** What core.agent's loop came to: an answer, a write tool call waiting for approval, or a workflow tool call. */
export type AgentRun =
  | { kind: 'done'; output: unknown }
  | { kind: 'approval'; seq: number; message: string }
  /** A workflow tool call: the step starts a child run of `workflow` and waits for it. */
  | { kind: 'child'; seq: number; workflow: string; input: unknown };

/** What resumed core.agent's loop at `seq`: a person's decision on a write call, or a workflow tool's child run. */
export type AgentResumption =
  | {
      kind: 'approval';
      seq: number;
      decision: 'approved' | 'rejected';
      decidedBy: string | null;
      comment: string | null;
    }
  | { kind: 'child'; seq: number; childRunId: string; status: string; output: unknown; error: string | null };

/** What the engine gives `begin`: the transaction recording a waiting step, as the node's primitives. */
export type NodeBeginContext = {
  runId: string;
  step: { nodeId: string; path: string };
  /** Queues the step's job to run again at `at`. */
  wakeAt(at: Date): void;
  /** Appends a run event. */
  event(type: string, data: Record<string, unknown>): void;
  /** Asks for an approval of the step (pending) and marks the run waiting; the approval's id. */
  requestApproval(message: string, approvers: string[]): Promise<string | undefined>;
  /**
   * Starts a child run of a stored workflow with `input` as trigger data, remembered in the step's state; the
   * target is checked again as for subworkflowTarget.
   */
  startChildRun(workflowId: string, input: unknown, state?: Record<string, unknown>): Promise<string>;
  /** Queues the first `count` items of the step's body. */
  startItems(count: number): void;
  /** Records the step's one-time resume token (its hash; POST /resume/:token), replacing an earlier one. */
  createResumeToken(token: string, expiresAt: Date | null): Promise<void>;
};

export type ApprovalRecord = { id: string; status: string; decidedBy: string | null; comment: string | null };
export type ChildRunRecord = { live: boolean; status: RunStatus; output: unknown; error: unknown };
/** A core.wait step's resume token: called (with the body), timed out (settled now, once), or still waiting. */
export type ResumeCall =
  | { status: 'resumed'; body: unknown }
  | { status: 'timeout' }
  | { status: 'waiting'; expiresAt: Date | null };

/** What the engine gives `resume`: the waiting step and reads of what it waits for. */
export type NodeResumeContext = {
  node: NodeSpec;
  wakeAt: Date | null;
  state: unknown;
  approval(): Promise<ApprovalRecord | undefined>;
  childRun(runId: string): Promise<ChildRunRecord | undefined>;
  resumeCall(): Promise<ResumeCall | undefined>;
  /** Whether an edge leaves the step on `branch`. */
  routes(branch: string): boolean;
  /** Records the decision in core.agent's journal and runs its loop on from there (see NodeRunContext.runAgent). */
  runAgent(input: CoreAgentWith, resumption: AgentResumption): Promise<AgentRun>;
};

/** What a dry run (tools/dry-run.ts) says of one step. */
export type Simulation = {
  /** ran: evaluated for real; simulated: not executed (the dry run makes up its output); would-wait: waits. */
  status: 'ran' | 'simulated' | 'would-wait' | 'failed';
  output?: unknown;
  branch?: string;
  error?: string;
  warnings?: string[];
};

export type SimulateContext = {
  /** The node's `do` body when it has one. */
  body: unknown;
  /** Outputs of the steps simulated so far, by node id. */
  steps: Record<string, { output: unknown }>;
  /** Dry-runs the body once with `item` and `index`: did every step succeed, and the output of its last step. */
  runBody(item: unknown, index: number): Promise<{ ok: boolean; output: unknown }>;
};

export type CoreNodeDefinition<With extends z.ZodType = z.ZodType> = {
  uses: `core.${string}`;
  title: string;
  /** Written for a model: what it does, when to use it, what it outputs. */
  description: string;
  /** One line for the doc index (indexed even before core-nodes.md says more). */
  contract: { title: string; text: string };
  effect: 'pure' | 'read' | 'write';
  /** The credential type the node's `credential` names (core.agent: an llm credential); none when absent. */
  credentialType?: string;
  /**
   * No effect outside the transaction that records it, and it does not wait: the engine may run it in memory
   * in the job of its predecessor and commit both together.
   */
  inline: boolean;
  /**
   * Its queued step is only read, not claimed, before it runs (see step-claim.ts); requires `inline` and a run
   * short enough never to be seen as running.
   */
  claimless: boolean;
  /** Its `with`: checked by the validator on the document, and by the engine on the evaluated `with`. */
  with: With;
  /** The branches its outgoing edges may name (besides "error" with onError: "route"). */
  branches(withValue: Record<string, unknown>): string[];
  /**
   * A node that routes: the branches the validator warns about when no edge names them. Such a node's edges
   * without a branch get a warning too.
   */
  watchedBranches?(withValue: Record<string, unknown>): string[];
  /** `with` fields that are not templates: the engine passes them through without evaluating `{{ }}`. */
  literalFields: string[];
  /** Runs a body of nodes (`do`): required on this node, refused on all others. */
  body?: true;
  /**
   * Checks beyond `with`'s schema, run by the validator on the document's `with` (values may still hold `{{ }}`):
   * each problem is an error with its own code, at `with/<field…>`.
   */
  check?(withValue: Record<string, unknown>): NodeCheckProblem[];
  /** Only meaningful with this trigger type: the validator warns otherwise. */
  trigger?: { types: readonly string[]; warning: string; reason: string; hint: string };
  /** The mermaid node shape ([open, close]); a box when absent. */
  shape?: [string, string];
  run(ctx: NodeRunContext): Promise<Outcome>;
  /** Starts the wait of a step whose `run` said `wait` (with its `wait` value), inside the recording transaction. */
  begin?(wait: unknown, ctx: NodeBeginContext): Promise<void>;
  /** A waiting step's job ran again: has what it waits for happened? */
  resume?(ctx: NodeResumeContext): Promise<Outcome>;
  simulate(input: Record<string, unknown>, ctx: SimulateContext): Promise<Simulation> | Simulation;
};

/** Declares a core node (an identity that checks the declaration against its own `with`). */
export function defineCoreNode<With extends z.ZodType>(
  definition: CoreNodeDefinition<With>,
): CoreNodeDefinition {
  return definition;
}

/** How conditions are read: true when truthy, and an empty list is false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

/** A step failure that fails the same way every time. */
export function nodeFailure(code: string, message: string, hint: string): AppError {
  return new AppError({ code, message, hint, retryable: false });
}

export const noBranches = (): string[] => [];

/** A condition of core.if and core.switch. */
export const Condition = z
  .boolean()
  .describe('A boolean, almost always one expression such as "{{ trigger.body.amount > 100 }}".');
