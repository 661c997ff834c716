export { type AgentTurnResult, runAgentTurn } from './agent-loop.ts';
export {
  actorId,
  approvalSummary,
  type BotFacingEvent,
  type BotFacingReply,
  toBotConversationPort,
  toBotReply,
} from './bot-conversation-port.ts';
export {
  type ConversationService,
  type ConversationServiceDeps,
  createConversationService,
  type DecideInput,
  type HandleMessageInput,
  type HandleRunFailedResult,
} from './conversation-service.ts';
export { type CreateAgentOptions, createAgent, createDocsPort } from './create-agent.ts';
export { createAnthropicProvider } from './providers/anthropic-provider.ts';
export { createModelProvider, DEFAULT_MODEL } from './providers/create-model-provider.ts';
export { ModelError } from './providers/model-error.ts';
export type { ChatMessage, ModelEvent, ModelProvider, ToolSpec } from './providers/model-provider.ts';
export { createOpenAIProvider } from './providers/openai-provider.ts';
export { type ConversationEvent, type OnConversationEvent, ProposalView, Reply } from './reply.ts';
export { createRunFailedTask, RUN_FAILED_TASK, RunFailedPayload } from './run-failed-task.ts';
export { createRuntimePorts, type RuntimePorts } from './runtime-ports.ts';
