// Moved to connectors/llm/providers (shared with the workflow agent step).
export { DEFAULT_RETRY_POLICY, type RetryPolicy, withModelRetry } from '../../connectors/index.ts';
