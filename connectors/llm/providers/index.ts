// The model providers shared by the builder agent (agent/) and the workflow agent step (runtime/): one
// provider-neutral turn shape, Anthropic and OpenAI (and OpenAI-compatible servers) behind it.
export {
  type AnthropicProviderOptions,
  createAnthropicProvider,
  toAnthropicMessages,
} from './anthropic-provider.ts';
export { ModelError, type ModelErrorCode, modelErrorFromSdk, modelErrorFromStatus } from './model-error.ts';
export * from './model-provider.ts';
export { createOpenAIProvider, type OpenAIProviderOptions, toOpenAIMessages } from './openai-provider.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, withModelRetry } from './retry.ts';
