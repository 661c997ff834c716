export { findMissingCredentials, type MissingCredential } from './credential-needs.ts';
export {
  type AnyTool,
  defineTool,
  TOOL_NAME_PATTERN,
  type ToolDefinition,
  type ToolEffect,
} from './define-tool.ts';
export {
  type DryRunReport,
  type DryRunStep,
  type DryRunTrigger,
  dryRunOnTrigger,
  dryRunWorkflow,
} from './dry-run.ts';
export { executeToolCall, type ToolCallOutcome } from './execute-tool-call.ts';
export { failedStepOf, failureFingerprint } from './failure-fingerprint.ts';
export {
  type Destination,
  describeEffects,
  type ProposalEffects,
  type WriteStep,
} from './proposal-effects.ts';
export { PROPOSAL_KINDS } from './proposal-kinds.ts';
export { agentTools } from './registry.ts';
export { type SimulatedTrigger, simulateDelivery } from './simulate-delivery.ts';
export { type McpToolEntry, toMcpTools } from './to-mcp-tools.ts';
export {
  type ToolSpec,
  toAnthropicTools,
  toOpenAITools,
  toolInputJsonSchema,
  toToolSpecs,
} from './to-provider-tools.ts';
export type * from './tool-context.ts';
export { markUntrusted, UNTRUSTED_NOTE } from './untrusted.ts';
