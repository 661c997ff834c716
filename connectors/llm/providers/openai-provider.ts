import type OpenAI from 'openai';

/** The SDK is loaded on the first turn, not at start (it is large and unused until the assistant answers). */
const loadOpenAI = async () => (await import('openai')).default;

import { ModelError, modelErrorFromSdk } from './model-error.ts';
import {
  type ChatMessage,
  emptyUsage,
  type ModelEvent,
  type ModelProvider,
  type ModelTurnRequest,
  type StopReason,
  type ToolCall,
} from './model-provider.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withModelRetry } from './retry.ts';

export type OpenAIProviderOptions = {
  model: string;
  /** Defaults to OPENAI_API_KEY. Optional when baseURL points at an OpenAI-compatible server without keys (Ollama). */
  apiKey?: string | undefined;
  /** Defaults to OPENAI_BASE_URL (the SDK's own variable), else api.openai.com. */
  baseURL?: string | undefined;
  maxTokens?: number;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** The fetch the SDK sends through (a workflow step passes its egress-checked fetch); the global one by default. */
  fetch?: typeof globalThis.fetch;
};

type OpenAIMessage = OpenAI.Chat.ChatCompletionMessageParam;

/** Provider-neutral history → chat.completions messages (one `tool` message per result). */
export function toOpenAIMessages(system: string, messages: ChatMessage[]): OpenAIMessage[] {
  const out: OpenAIMessage[] = [{ role: 'system', content: system }];
  for (const message of messages) {
    if (message.role === 'user') {
      out.push({ role: 'user', content: message.content });
    } else if (message.role === 'assistant') {
      out.push({
        role: 'assistant',
        content: message.text || null,
        ...(message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: {
                  name: call.name,
                  arguments: typeof call.input === 'string' ? call.input : JSON.stringify(call.input),
                },
              })),
            }
          : {}),
      });
    } else {
      for (const result of message.results) {
        out.push({
          role: 'tool',
          tool_call_id: result.toolCallId,
          content: result.isError ? `ERROR: ${result.content}` : result.content,
        });
      }
    }
  }
  return out;
}

function stopReasonOf(reason: string | null | undefined): StopReason {
  if (reason === 'stop') return 'end_turn';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_use';
  if (reason === 'length') return 'max_tokens';
  return 'other';
}

function toModelError(error: unknown, sdk: typeof OpenAI): unknown {
  return modelErrorFromSdk('openai', error, sdk.APIError);
}

/** OpenAI chat.completions with function calling and streaming; any OpenAI-compatible server via OPENAI_BASE_URL. */
export function createOpenAIProvider(options: OpenAIProviderOptions): ModelProvider {
  const baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL;
  const apiKey = options.apiKey ?? process.env.OPENAI_API_KEY ?? (baseURL ? 'not-needed' : undefined);
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  let client: OpenAI | undefined;

  return {
    id: `openai:${options.model}`,
    async *streamTurn(request: ModelTurnRequest): AsyncIterable<ModelEvent> {
      if (!apiKey) {
        throw new ModelError({
          code: 'E_MODEL_KEY_MISSING',
          message: 'No OpenAI API key: OPENAI_API_KEY is not set, so the assistant cannot answer.',
          hint: 'Set OPENAI_API_KEY (https://platform.openai.com/api-keys), or OPENAI_BASE_URL for an OpenAI-compatible server, or choose VMESH_MODEL=anthropic:<model>.',
        });
      }
      // maxRetries 0: withModelRetry is the one retry budget per call.
      const sdk = await loadOpenAI();
      client ??= new sdk({
        apiKey,
        baseURL: baseURL ?? null,
        maxRetries: 0,
        timeout: options.timeoutMs ?? 120_000,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      const activeClient = client;
      const body: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
        model: options.model,
        messages: toOpenAIMessages(request.system, request.messages),
        max_completion_tokens: request.maxTokens ?? options.maxTokens ?? 4096,
        stream: true,
        stream_options: { include_usage: true },
        ...(request.tools.length > 0
          ? {
              tools: request.tools.map((tool) => ({
                type: 'function' as const,
                function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
              })),
            }
          : {}),
      };
      const stream = await withModelRetry(
        async () => {
          try {
            return await activeClient.chat.completions.create(body, { signal: request.signal });
          } catch (error) {
            throw toModelError(error, sdk);
          }
        },
        retry,
        request.signal,
      );

      const usage = emptyUsage();
      const calls = new Map<number, { id: string; name: string; args: string }>();
      let stop: StopReason = 'other';
      try {
        for await (const chunk of stream) {
          if (chunk.usage) {
            usage.inputTokens = chunk.usage.prompt_tokens ?? 0;
            usage.outputTokens = chunk.usage.completion_tokens ?? 0;
            usage.cacheReadTokens = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
          }
          const choice = chunk.choices[0];
          if (!choice) continue;
          const delta = choice.delta;
          if (delta?.content) yield { type: 'text_delta', text: delta.content };
          for (const part of delta?.tool_calls ?? []) {
            const current = calls.get(part.index) ?? { id: '', name: '', args: '' };
            if (part.id) current.id = part.id;
            if (part.function?.name) current.name += part.function.name;
            if (part.function?.arguments) current.args += part.function.arguments;
            calls.set(part.index, current);
          }
          if (choice.finish_reason) stop = stopReasonOf(choice.finish_reason);
        }
      } catch (error) {
        throw toModelError(error, sdk);
      }
      const ordered = [...calls.entries()].sort(([a], [b]) => a - b);
      for (const [index, call] of ordered) yield { type: 'tool_call', call: parseToolCall(call, index) };
      if (ordered.length > 0 && stop === 'end_turn') stop = 'tool_use';
      yield { type: 'usage', usage };
      yield { type: 'stop', reason: stop };
    },
  };
}

function parseToolCall(call: { id: string; name: string; args: string }, index: number): ToolCall {
  const id = call.id || `call_${index}`;
  if (call.args.trim() === '') return { id, name: call.name, input: {} };
  try {
    return { id, name: call.name, input: JSON.parse(call.args) as unknown };
  } catch {
    return { id, name: call.name, input: call.args };
  }
}
