import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { checkServer } from '../check-server.ts';
import { McpServerTarget } from '../client.ts';
import { action } from '../kit.ts';
import { mcpServerName } from '../server-name.ts';

export const ListToolsInput = z.strictObject({
  server: McpServerTarget,
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(30_000)
    .describe('How long to wait for the server, in milliseconds (default 30000).'),
});

export const ListToolsOutput = z.strictObject({
  tools: z
    .array(
      z.strictObject({
        name: z.string().describe('The tool name to pass to mcp.callTool.'),
        description: z.string().describe('What the tool does.'),
        inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of its arguments.'),
      }),
    )
    .describe('The tools the server offers.'),
});

export const listTools = action({
  key: 'listTools',
  title: 'List the tools of an MCP server',
  description:
    'List the tools an MCP server offers, with their argument schemas, before calling one with mcp.callTool. ' +
    'With a stdio server it starts a program on the worker host, so it counts as a write.',
  // A stdio server is a program started on the worker host: not a read, whatever the protocol call is.
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) => describeNamed('the MCP server', mcpServerName(withValue.server)),
  checkWith: checkServer,
  input: ListToolsInput,
  output: ListToolsOutput,
  async run(input, ctx) {
    const listed = await ctx.client.withSession(input.server, ctx.signal, input.timeoutMs, (client) =>
      client.listTools(undefined, { signal: ctx.signal, timeout: input.timeoutMs }),
    );
    return {
      tools: listed.tools.map((tool) => ({
        name: tool.name,
        description: tool.description ?? '',
        inputSchema: tool.inputSchema as Record<string, unknown>,
      })),
    };
  },
});
