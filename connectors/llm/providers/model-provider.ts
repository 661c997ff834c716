/**
 * The provider-neutral shape of one model turn. Every provider adapter (Anthropic, OpenAI and
 * OpenAI-compatible servers) streams these events; the agent loop knows nothing else about vendors.
 */

/** A tool offered to the model: name, description and the JSON Schema of its input. */
export type ToolSpec = {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
};

/** A tool call made by the model. `input` is untrusted: it is parsed with the tool's zod schema before use. */
export type ToolCall = {
  id: string;
  name: string;
  /** The parsed JSON arguments, or the raw text when the model sent arguments that are not JSON. */
  input: unknown;
};

export type ToolResult = {
  toolCallId: string;
  name: string;
  content: string;
  isError: boolean;
};

export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; text: string; toolCalls: ToolCall[] }
  | { role: 'tool'; results: ToolResult[] };

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'other';

export type Usage = {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
};

export type ModelEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'usage'; usage: Usage }
  | { type: 'stop'; reason: StopReason };

export type ModelTurnRequest = {
  system: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  maxTokens?: number;
  signal?: AbortSignal;
};

export type ModelProvider = {
  /** `anthropic:<model>` or `openai:<model>`. */
  readonly id: string;
  /**
   * Streams one assistant turn. Throws a `ModelError` (an AppError) when the provider cannot answer:
   * missing key, authentication, rate limit after the retry budget, bad request.
   */
  streamTurn(request: ModelTurnRequest): AsyncIterable<ModelEvent>;
};

export const emptyUsage = (): Usage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});
