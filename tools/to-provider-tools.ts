import { z } from 'zod';
import type { ToolSpec } from '../connectors/index.ts';
import type { AnyTool } from './define-tool.ts';

// ToolSpec lives with the model providers (connectors/llm/providers); re-exported unchanged.
export type { ToolSpec };

/** The JSON Schema of a tool's input, as every provider wants it (an object schema). */
export function toolInputJsonSchema(tool: AnyTool): Record<string, unknown> {
  const schema = z.toJSONSchema(tool.input, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  const { $schema: _ignored, ...rest } = schema;
  return rest.type === 'object' ? rest : { type: 'object', properties: {}, ...rest };
}

/** Provider-neutral specs (the provider adapters turn these into their wire shapes). */
export function toToolSpecs(tools: readonly AnyTool[]): ToolSpec[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: toolInputJsonSchema(tool),
  }));
}

/** Anthropic Messages `tools` entries. */
export function toAnthropicTools(
  tools: readonly AnyTool[],
): { name: string; description: string; input_schema: Record<string, unknown> }[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: toolInputJsonSchema(tool),
  }));
}

/** OpenAI chat.completions `tools` entries (function calling). */
export function toOpenAITools(tools: readonly AnyTool[]): {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}[] {
  return tools.map((tool) => ({
    type: 'function' as const,
    function: { name: tool.name, description: tool.description, parameters: toolInputJsonSchema(tool) },
  }));
}
