// The core nodes: each declared once, in its own file. Every list of core-node facts is derived from here.
// Browser-safe (the web chat's graph reads `shape`): no node: imports here or in the declarations.
// A new core node: its file here (defineCoreNode), one entry in `coreNodes`, its `## core.<name>` section in
// core-nodes.md, its sample in nodes.test.ts and its own tests.

import { agentNode } from './agent.ts';
import { approvalNode } from './approval.ts';
import { codeNode } from './code.ts';
import type { CoreNodeDefinition } from './define-core-node.ts';
import { delayNode } from './delay.ts';
import { foreachNode } from './foreach.ts';
import { ifNode } from './if.ts';
import { mergeNode } from './merge.ts';
import { respondNode } from './respond.ts';
import { subworkflowNode } from './subworkflow.ts';
import { switchNode } from './switch.ts';
import { transformNode } from './transform.ts';
import { waitNode } from './wait.ts';

export {
  AGENT_TOOL_NAME,
  AgentActionTool,
  AgentMcpTool,
  AgentToolDeclaration,
  AgentWorkflowTool,
  agentOutputValidator,
  agentToolName,
  CoreAgentWith,
  isMcpTool,
  isWorkflowTool,
  MAX_AGENT_MCP_TOOLS,
  mcpToolName,
} from './agent.ts';
export { codeSyntaxError, MAX_CODE_LENGTH } from './code.ts';
export type * from './define-core-node.ts';
export { nodeFailure, truthy } from './define-core-node.ts';
export { MAX_DELAY_MS } from './delay.ts';
export { MAX_FOREACH_CONCURRENCY } from './foreach.ts';
export type { Outcome, RespondValue, StepUsage } from './outcome.ts';
export { SWITCH_CASE_PATTERN } from './switch.ts';
export { MAX_WAIT_SECONDS } from './wait.ts';

/** In the order of core-nodes.md and the catalog. */
export const coreNodes: readonly CoreNodeDefinition[] = [
  ifNode,
  switchNode,
  foreachNode,
  mergeNode,
  delayNode,
  approvalNode,
  waitNode,
  transformNode,
  codeNode,
  subworkflowNode,
  agentNode,
  respondNode,
];

const byUses = new Map<string, CoreNodeDefinition>(coreNodes.map((node) => [node.uses, node]));

export function findCoreNode(uses: string): CoreNodeDefinition | undefined {
  return byUses.get(uses);
}

const usesWhere = (keep: (node: CoreNodeDefinition) => boolean): ReadonlySet<string> =>
  new Set(coreNodes.filter(keep).map((node) => node.uses));

/** Nodes the engine may run in memory and commit with their predecessor (a chain of them, one commit). */
export const INLINE_CORE_NODES = usesWhere((node) => node.inline);
/** Nodes whose queued step is read, not claimed, before it runs (see step-claim.ts). */
export const CLAIMLESS_CORE_NODES = usesWhere((node) => node.claimless);
/** Nodes that route: an edge leaving one without a branch gets a warning. */
export const BRANCHING_CORE_NODES = usesWhere((node) => node.watchedBranches !== undefined);
/** Nodes that run a `do` body. */
export const BODY_CORE_NODES = usesWhere((node) => node.body === true);
/** Nodes that run code in the sandbox (ctx.runCode): their jobs wait outside a slot while it is busy. */
export const SANDBOXED_CORE_NODES: ReadonlySet<string> = new Set([codeNode.uses]);
