// Moved to connectors/llm/providers (shared with the workflow agent step).
export {
  createOpenAIProvider,
  type OpenAIProviderOptions,
  toOpenAIMessages,
} from '../../connectors/index.ts';
