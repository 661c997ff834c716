// The agent's tools as MCP entries (declared in tools/): bots see them only through agent/.

// The run vocabulary front-ends show and wait on (declared in runtime/store/run-status.ts).
export { RunStatus, SETTLED_RUN, StepStatus } from '../runtime/index.ts';
export type { McpToolEntry } from '../tools/index.ts';
export { type AgentTurnResult, runAgentTurn } from './agent-loop.ts';
export { APPROVAL_LINK_TTL_MS, approvalLinkHash } from './approval-links.ts';
export { actorId, type BotPortOptions, toBotConversationPort } from './bot-conversation-port.ts';
export { HistoryEntry } from './conversation-history.ts';
export {
  type ConversationService,
  type ConversationServiceDeps,
  createConversationService,
  type DecideInput,
  type HandleMessageInput,
  type HandleRunFailedResult,
  type HandleTriggerEventResult,
} from './conversation-service.ts';
export { DryRunView, type ProposalDetail, type ThreadAccess } from './conversation-views.ts';
export { type CreateAgentOptions, createAgent, createDocsPort } from './create-agent.ts';
export { CREDENTIAL_EVENT_TASK, createCredentialEventTask } from './credential-event-task.ts';
export {
  type AutoMembers,
  autoMembersFromEnv,
  type ChatActor,
  identifyActor,
  strangerReply,
} from './identify-actor.ts';
export { createAnthropicProvider } from './providers/anthropic-provider.ts';
export { createModelProvider, DEFAULT_MODEL } from './providers/create-model-provider.ts';
export { ModelError } from './providers/model-error.ts';
export type { ChatMessage, ModelEvent, ModelProvider, ToolSpec } from './providers/model-provider.ts';
export { createOpenAIProvider } from './providers/openai-provider.ts';
export {
  approvalSummary,
  type ConversationEvent,
  type OnConversationEvent,
  type ProposalReply,
  ProposalView,
  Reply,
  toProposalReply,
} from './reply.ts';
export { createRunFailedTask, RUN_FAILED_TASK, RunFailedPayload } from './run-failed-task.ts';
export { createRuntimePorts, type RuntimePorts } from './runtime-ports.ts';
export { createTriggerEventTask, TRIGGER_EVENT_TASK } from './trigger-event-task.ts';
