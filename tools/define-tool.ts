import type { z } from 'zod';
import type { AppError, Result } from '../lib/index.ts';
import type { ToolContext } from './tool-context.ts';

export const TOOL_NAME_PATTERN = /^[a-z0-9_]{1,64}$/;

/**
 * `read` changes nothing; `write` only ever creates proposals (nothing changes until a person approves);
 * `operate` acts at once on what the person asked for, within their role: run now, pause, retry, cancel.
 */
export type ToolEffect = 'read' | 'write' | 'operate';

export type ToolDefinition<Input extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType> = {
  /** `[a-z0-9_]{1,64}`: legal for Anthropic, OpenAI and MCP alike. */
  name: string;
  effect: ToolEffect;
  /** Written for a model: what it does, when to use it, what comes back. */
  description: string;
  input: Input;
  output: Output;
  run(input: z.output<Input>, ctx: ToolContext): Promise<Result<z.input<Output>, AppError>>;
};

/** Declares an agent tool once; adapters turn it into Anthropic tools, OpenAI functions and MCP tools. */
export function defineTool<Input extends z.ZodType, Output extends z.ZodType>(
  tool: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  if (!TOOL_NAME_PATTERN.test(tool.name))
    throw new Error(`tool name "${tool.name}" must match ${TOOL_NAME_PATTERN}`);
  return tool;
}

/** A tool with its types erased, as the registry holds it. */
export type AnyTool = ToolDefinition<z.ZodType, z.ZodType>;
