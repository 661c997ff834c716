// Moved to connectors/llm/providers (shared with the workflow agent step).
export {
  type ChatMessage,
  emptyUsage,
  type ModelEvent,
  type ModelProvider,
  type ModelTurnRequest,
  type StopReason,
  type ToolCall,
  type ToolResult,
  type ToolSpec,
  type Usage,
} from '../../connectors/index.ts';
