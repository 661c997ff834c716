// Moved to connectors/llm/providers (shared with the workflow agent step).
export {
  type AnthropicProviderOptions,
  createAnthropicProvider,
  toAnthropicMessages,
} from '../../connectors/index.ts';
