import type { z } from 'zod';
import type { AnyTool } from './define-tool.ts';
import { executeToolCall } from './execute-tool-call.ts';
import type { ToolContext } from './tool-context.ts';

export type McpToolEntry = {
  name: string;
  description: string;
  /** The zod input schema (pass `inputSchema.shape` or the schema itself to McpServer.registerTool). */
  inputSchema: z.ZodType;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean };
  /** Runs the tool; errors are `isError` results, never exceptions. */
  handler(args: unknown): Promise<{ content: { type: 'text'; text: string }[]; isError: boolean }>;
};

/** The same tools for the MCP server: one registration per tool, input parsed before the handler runs. */
export function toMcpTools(
  tools: readonly AnyTool[],
  context: () => ToolContext | Promise<ToolContext>,
): McpToolEntry[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: tool.input,
    // write tools only create proposals (nothing changes until a person approves), so they are not destructive;
    // operate tools act at once (a cancel cannot be undone).
    annotations: {
      readOnlyHint: tool.effect === 'read',
      destructiveHint: tool.effect === 'operate',
      idempotentHint: tool.effect === 'read',
    },
    async handler(args: unknown) {
      const outcome = await executeToolCall(tools, { name: tool.name, input: args ?? {} }, await context());
      return { content: [{ type: 'text' as const, text: outcome.content }], isError: outcome.isError };
    },
  }));
}
