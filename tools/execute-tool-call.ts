import type { z } from 'zod';
import { AppError, describeError, ForbiddenError, redactSecrets, redactString } from '../lib/index.ts';
import type { AnyTool } from './define-tool.ts';
import type { ToolContext } from './tool-context.ts';
import { capText } from './untrusted.ts';

export type ToolCallOutcome = {
  /** What the model sees (JSON text, capped and redacted). */
  content: string;
  isError: boolean;
  /** The tool's parsed output when it succeeded. */
  value?: unknown;
  error?: AppError;
};

export function describeZodIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 12)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function errorContent(error: AppError): string {
  return JSON.stringify(redactSecrets(error.toJSON()));
}

/**
 * Runs one tool call from the model. The arguments are untrusted: they are parsed with the tool's zod schema and
 * every failure (unknown tool, bad arguments, a failing tool, a bug) becomes an error result the model can read
 * and act on — never an exception in the agent loop.
 */
export async function executeToolCall(
  tools: readonly AnyTool[],
  call: { name: string; input: unknown },
  ctx: ToolContext,
  options: { limit?: number } = {},
): Promise<ToolCallOutcome> {
  const fail = (error: AppError): ToolCallOutcome => ({
    content: capText(errorContent(error), options.limit),
    isError: true,
    error,
  });
  const tool = tools.find((candidate) => candidate.name === call.name);
  if (!tool) {
    return fail(
      new AppError({
        code: 'E_UNKNOWN_TOOL',
        message: `There is no tool named "${call.name}".`,
        hint: `Use one of: ${tools.map((t) => t.name).join(', ')}.`,
      }),
    );
  }
  if (typeof call.input === 'string') {
    return fail(
      new AppError({
        code: 'E_TOOL_INPUT',
        message: `The arguments for ${tool.name} are not valid JSON.`,
        hint: 'Send the arguments as one JSON object matching the tool schema.',
      }),
    );
  }
  const parsed = tool.input.safeParse(call.input);
  if (!parsed.success) {
    return fail(
      new AppError({
        code: 'E_TOOL_INPUT',
        message: `Invalid arguments for ${tool.name}: ${describeZodIssues(parsed.error.issues)}.`,
        hint: 'Fix the arguments as the message says and call the tool again.',
      }),
    );
  }
  let result: Awaited<ReturnType<AnyTool['run']>>;
  try {
    result = await tool.run(parsed.data, ctx);
  } catch (error) {
    // A refusal (the person may not do this) is theirs to hear as it is, not a fault on our side.
    if (error instanceof ForbiddenError) return fail(error);
    return fail(
      new AppError({
        code: 'E_TOOL_FAILED',
        message: `${tool.name} failed: ${redactString(describeError(error))}`,
        hint: 'This is a fault on our side; try another way or tell the person what failed.',
        cause: error,
      }),
    );
  }
  if (!result.ok) return fail(result.error);
  const checked = tool.output.safeParse(result.value);
  if (!checked.success) {
    return fail(
      new AppError({
        code: 'E_TOOL_OUTPUT',
        message: `${tool.name} produced an unexpected result: ${describeZodIssues(checked.error.issues)}.`,
        hint: 'This is a fault on our side; tell the person.',
      }),
    );
  }
  const value = redactSecrets(checked.data);
  return { content: capText(JSON.stringify(value), options.limit), isError: false, value };
}
