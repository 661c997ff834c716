import { z } from 'zod';
import { ConnectorError } from '../../sdk/connector-error.ts';
import { describeNamed } from '../../sdk/describe-target.ts';
import { checkServer } from '../check-server.ts';
import { McpServerTarget } from '../client.ts';
import { action } from '../kit.ts';
import { mcpServerName } from '../server-name.ts';

export const CallToolInput = z.strictObject({
  server: McpServerTarget,
  tool: z.string().min(1).max(128).describe('The tool’s name as the server lists it.'),
  arguments: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('The tool’s arguments, matching its input schema (see mcp.listTools).'),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(60_000)
    .describe('How long to wait for the server (connect and call), in milliseconds (default 60000).'),
});

export const CallToolOutput = z.strictObject({
  text: z.string().describe('The text parts of the result, joined with newlines.'),
  content: z
    .array(z.record(z.string(), z.unknown()))
    .describe('The raw MCP content blocks (text, image, resource…).'),
  structuredContent: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Structured result, when the tool declares an output schema.'),
});

type ContentBlock = { type?: unknown; text?: unknown } & Record<string, unknown>;

export const textOf = (content: readonly ContentBlock[]): string =>
  content
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('\n');

export const callTool = action({
  key: 'callTool',
  title: 'Call a tool on an MCP server',
  description:
    'Call one tool of any Model Context Protocol server, remote (Streamable HTTP) or a local (stdio) server the ' +
    'operator allow-listed, and get its result. What it changes depends on the tool, so it counts as a write.',
  effect: 'write',
  idempotent: false,
  describeTarget: (withValue) =>
    describeNamed('the MCP server', mcpServerName(withValue.server), { tool: withValue.tool }),
  checkWith: checkServer,
  input: CallToolInput,
  output: CallToolOutput,
  async run(input, ctx) {
    const result = await ctx.client.withSession(input.server, ctx.signal, input.timeoutMs, (client) =>
      client.callTool({ name: input.tool, arguments: input.arguments }, undefined, {
        signal: ctx.signal,
        timeout: input.timeoutMs,
      }),
    );
    const content = (Array.isArray(result.content) ? result.content : []) as ContentBlock[];
    const text = textOf(content);
    if (result.isError) {
      throw new ConnectorError({
        code: 'E_TOOL',
        message: `mcp tool ${input.tool} failed: ${text || 'no message'}`,
        retryable: false,
        hint: 'The tool itself reported the failure: change the arguments as its message says.',
        details: { tool: input.tool },
      });
    }
    const structured = result.structuredContent;
    return {
      text,
      content,
      ...(structured && typeof structured === 'object'
        ? { structuredContent: structured as Record<string, unknown> }
        : {}),
    };
  },
});
