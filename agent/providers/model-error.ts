// Moved to connectors/llm/providers (shared with the workflow agent step).
export {
  ModelError,
  type ModelErrorCode,
  modelErrorFromSdk,
  modelErrorFromStatus,
} from '../../connectors/index.ts';
