import type Anthropic from '@anthropic-ai/sdk';

/** The SDK is loaded on the first turn, not at start (it is large and unused until the assistant answers). */
const loadAnthropic = async () => (await import('@anthropic-ai/sdk')).default;

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

export type AnthropicProviderOptions = {
  model: string;
  /** Defaults to ANTHROPIC_API_KEY. */
  apiKey?: string | undefined;
  /** Defaults to ANTHROPIC_BASE_URL (the SDK's own variable), else api.anthropic.com. */
  baseURL?: string | undefined;
  maxTokens?: number;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** The fetch the SDK sends through (a workflow step passes its egress-checked fetch); the global one by default. */
  fetch?: typeof globalThis.fetch;
};

type AnthropicMessage = Anthropic.MessageParam;

/** Adds a user turn, merging it into a preceding user turn (tool results then text) so roles alternate. */
function pushUser(out: AnthropicMessage[], content: Anthropic.ContentBlockParam[]): void {
  const last = out.at(-1);
  if (last?.role === 'user') {
    const before =
      typeof last.content === 'string' ? [{ type: 'text' as const, text: last.content }] : last.content;
    last.content = [...before, ...content];
  } else {
    out.push({ role: 'user', content });
  }
}

/** Provider-neutral history → Anthropic messages (tool results travel in a user turn). */
export function toAnthropicMessages(messages: ChatMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  for (const message of messages) {
    if (message.role === 'user') {
      pushUser(out, [{ type: 'text', text: message.content }]);
    } else if (message.role === 'assistant') {
      const content: Anthropic.ContentBlockParam[] = [];
      if (message.text) content.push({ type: 'text', text: message.text });
      for (const call of message.toolCalls) {
        const input = isRecord(call.input) ? call.input : { arguments: call.input };
        content.push({ type: 'tool_use', id: call.id, name: call.name, input });
      }
      if (content.length === 0) content.push({ type: 'text', text: '(no answer)' });
      out.push({ role: 'assistant', content });
    } else {
      pushUser(
        out,
        message.results.map((result) => ({
          type: 'tool_result' as const,
          tool_use_id: result.toolCallId,
          content: result.content,
          is_error: result.isError,
        })),
      );
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stopReasonOf(reason: string | null | undefined): StopReason {
  if (reason === 'end_turn' || reason === 'tool_use' || reason === 'max_tokens') return reason;
  if (reason === 'stop_sequence') return 'end_turn';
  return 'other';
}

function toModelError(error: unknown, sdk: typeof Anthropic): unknown {
  return modelErrorFromSdk('anthropic', error, sdk.APIError);
}

/** Claude through the Messages API with tool use and streaming; the system prompt and tools are cached. */
export function createAnthropicProvider(options: AnthropicProviderOptions): ModelProvider {
  const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
  const baseURL = options.baseURL ?? process.env.ANTHROPIC_BASE_URL;
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;
  let client: Anthropic | undefined;

  return {
    id: `anthropic:${options.model}`,
    async *streamTurn(request: ModelTurnRequest): AsyncIterable<ModelEvent> {
      if (!apiKey) {
        throw new ModelError({
          code: 'E_MODEL_KEY_MISSING',
          message: 'No Anthropic API key: ANTHROPIC_API_KEY is not set, so the assistant cannot answer.',
          hint: 'Set ANTHROPIC_API_KEY (https://console.anthropic.com/settings/keys) and restart, or choose another provider with VMESH_MODEL=openai:<model>.',
        });
      }
      // maxRetries 0: our withModelRetry is the one retry budget per call (never both).
      const sdk = await loadAnthropic();
      client ??= new sdk({
        apiKey,
        baseURL: baseURL ?? null,
        maxRetries: 0,
        timeout: options.timeoutMs ?? 120_000,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      const tools: Anthropic.Tool[] = request.tools.map((tool, index) => ({
        name: tool.name,
        description: tool.description,
        input_schema: tool.inputSchema as Anthropic.Tool.InputSchema,
        ...(index === request.tools.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
      }));
      const body: Anthropic.MessageCreateParamsStreaming = {
        model: options.model,
        max_tokens: request.maxTokens ?? options.maxTokens ?? 4096,
        system: [{ type: 'text', text: request.system, cache_control: { type: 'ephemeral' } }],
        messages: toAnthropicMessages(request.messages),
        stream: true,
        ...(tools.length > 0 ? { tools } : {}),
      };
      const activeClient = client;
      const stream = await withModelRetry(
        async () => {
          try {
            return await activeClient.messages.create(body, { signal: request.signal });
          } catch (error) {
            throw toModelError(error, sdk);
          }
        },
        retry,
        request.signal,
      );

      const usage = emptyUsage();
      const blocks = new Map<
        number,
        { kind: 'text' } | { kind: 'tool'; id: string; name: string; json: string }
      >();
      let stop: StopReason = 'other';
      try {
        for await (const event of stream) {
          switch (event.type) {
            case 'message_start': {
              const u = event.message.usage;
              usage.inputTokens = u.input_tokens ?? 0;
              usage.outputTokens = u.output_tokens ?? 0;
              usage.cacheReadTokens = u.cache_read_input_tokens ?? 0;
              usage.cacheWriteTokens = u.cache_creation_input_tokens ?? 0;
              break;
            }
            case 'content_block_start': {
              const block = event.content_block;
              if (block.type === 'tool_use') {
                blocks.set(event.index, { kind: 'tool', id: block.id, name: block.name, json: '' });
              } else if (block.type === 'text') {
                blocks.set(event.index, { kind: 'text' });
                if (block.text) yield { type: 'text_delta', text: block.text };
              }
              break;
            }
            case 'content_block_delta': {
              const delta = event.delta;
              if (delta.type === 'text_delta') yield { type: 'text_delta', text: delta.text };
              else if (delta.type === 'input_json_delta') {
                const block = blocks.get(event.index);
                if (block?.kind === 'tool') block.json += delta.partial_json;
              }
              break;
            }
            case 'content_block_stop': {
              const block = blocks.get(event.index);
              if (block?.kind === 'tool') yield { type: 'tool_call', call: parseToolCall(block) };
              break;
            }
            case 'message_delta': {
              stop = stopReasonOf(event.delta.stop_reason);
              if (event.usage?.output_tokens != null) usage.outputTokens = event.usage.output_tokens;
              break;
            }
            default:
              break;
          }
        }
      } catch (error) {
        throw toModelError(error, sdk);
      }
      yield { type: 'usage', usage };
      yield { type: 'stop', reason: stop };
    },
  };
}

function parseToolCall(block: { id: string; name: string; json: string }): ToolCall {
  if (block.json.trim() === '') return { id: block.id, name: block.name, input: {} };
  try {
    return { id: block.id, name: block.name, input: JSON.parse(block.json) as unknown };
  } catch {
    return { id: block.id, name: block.name, input: block.json };
  }
}
