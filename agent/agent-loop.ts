import { AppError, describeError, logger, redactString } from '../lib/index.ts';
import type { AnyTool, ToolContext } from '../tools/index.ts';
import { executeToolCall, toToolSpecs } from '../tools/index.ts';
import type { ChatMessage, ModelProvider, ToolCall, ToolResult, Usage } from './providers/model-provider.ts';
import { emptyUsage } from './providers/model-provider.ts';
import type { OnConversationEvent } from './reply.ts';

export type AgentTurnResult = {
  /** The messages this turn added (assistant turns and tool results), in order. */
  messages: ChatMessage[];
  /** Everything the model said to the person this turn. */
  text: string;
  usage: Usage;
  toolCalls: { name: string; isError: boolean }[];
  /** Set when the provider could not answer (missing key, rate limit after retries...). */
  error: AppError | undefined;
};

/**
 * One agent turn: call the model, run the tools it asks for, feed the results back, until it answers without
 * tool calls (or the step budget is spent). Tool failures go back to the model; provider failures end the turn
 * with an error the caller turns into a Reply.
 */
export async function runAgentTurn(options: {
  provider: ModelProvider;
  system: string;
  tools: readonly AnyTool[];
  history: ChatMessage[];
  context: ToolContext;
  onEvent?: OnConversationEvent | undefined;
  maxSteps?: number;
  signal?: AbortSignal;
}): Promise<AgentTurnResult> {
  const specs = toToolSpecs(options.tools);
  const added: ChatMessage[] = [];
  const usage = emptyUsage();
  const texts: string[] = [];
  const toolCalls: AgentTurnResult['toolCalls'] = [];
  const maxSteps = options.maxSteps ?? 16;
  for (let step = 0; step < maxSteps; step++) {
    let text = '';
    const calls: ToolCall[] = [];
    try {
      for await (const event of options.provider.streamTurn({
        system: options.system,
        messages: [...options.history, ...added],
        tools: specs,
        signal: options.signal,
      })) {
        if (event.type === 'text_delta') {
          text += event.text;
          options.onEvent?.({ type: 'text_delta', text: event.text });
        } else if (event.type === 'tool_call') {
          calls.push(event.call);
        } else if (event.type === 'usage') {
          usage.inputTokens += event.usage.inputTokens;
          usage.outputTokens += event.usage.outputTokens;
          usage.cacheReadTokens += event.usage.cacheReadTokens;
          usage.cacheWriteTokens += event.usage.cacheWriteTokens;
        }
      }
    } catch (error) {
      const appError =
        error instanceof AppError
          ? error
          : new AppError({
              code: 'E_MODEL_FAILED',
              message: `The assistant could not answer: ${redactString(describeError(error))}`,
              hint: 'Send the message again; if it keeps failing, check the model settings (VMESH_MODEL).',
              cause: error,
            });
      if (!(error instanceof AppError)) logger.warn({ err: error }, 'model call failed');
      return { messages: added, text: texts.join('\n\n'), usage, toolCalls, error: appError };
    }
    if (text.trim()) texts.push(text.trim());
    added.push({ role: 'assistant', text, toolCalls: calls });
    if (calls.length === 0)
      return { messages: added, text: texts.join('\n\n'), usage, toolCalls, error: undefined };

    const results: ToolResult[] = [];
    for (const call of calls) {
      options.onEvent?.({ type: 'tool_start', id: call.id, name: call.name });
      const outcome = await executeToolCall(options.tools, call, options.context);
      options.onEvent?.({ type: 'tool_end', id: call.id, name: call.name, isError: outcome.isError });
      toolCalls.push({ name: call.name, isError: outcome.isError });
      results.push({
        toolCallId: call.id,
        name: call.name,
        content: outcome.content,
        isError: outcome.isError,
      });
    }
    added.push({ role: 'tool', results });
  }
  const stopped = `I stopped after ${maxSteps} steps without finishing. Tell me how to continue, or rephrase the request.`;
  texts.push(stopped);
  return { messages: added, text: texts.join('\n\n'), usage, toolCalls, error: undefined };
}
