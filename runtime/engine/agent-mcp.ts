import { z } from 'zod';
import type { ConnectorDefinition, ToolSpec } from '../../connectors/index.ts';
import { AppError } from '../../lib/index.ts';
import { type AgentMcpTool, MAX_AGENT_MCP_TOOLS, mcpToolName, nodeFailure } from '../nodes/index.ts';
import type { WorkflowNode } from '../workflow/document.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import { invokeStepAction, type NodeRunnerDeps } from './node-runner.ts';
import type { RunContext } from './run-context.ts';

// core.agent's MCP tools: the server's listing, cut to the allow-list and made safe to offer a model (provider-legal
// names, capped untrusted descriptions, bounded schemas), recorded once per step as a `listing` sub-step.

/** Most characters of an MCP tool's description the model reads (the server wrote it: untrusted text). */
export const MAX_MCP_DESCRIPTION_CHARS = 1_000;
/** Most characters of an MCP tool's input schema; a larger one is offered as "any object". */
export const MAX_MCP_SCHEMA_CHARS = 16_000;

/** One offered MCP tool as its listing sub-step records it. */
export const ListedMcpTool = z.object({
  name: z.string().describe('The name the model sees.'),
  tool: z.string().describe('The name on the server.'),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
});
export type ListedMcpTool = z.infer<typeof ListedMcpTool>;
export const McpListing = z.object({ tools: z.array(ListedMcpTool) });

const ServerListing = z.object({
  tools: z.array(
    z.object({
      name: z.string(),
      description: z.string().optional(),
      inputSchema: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});

export type McpActions = {
  connector: ConnectorDefinition;
  listTools: ConnectorDefinition['actions'][number];
  callTool: ConnectorDefinition['actions'][number];
};

/** The installed mcp connector's actions, or E_UNKNOWN_ACTION. */
export function mcpActions(deps: NodeRunnerDeps): McpActions {
  const connector = deps.connectors.find((candidate) => candidate.id === 'mcp');
  const listTools = connector?.actions.find((action) => action.key === 'listTools');
  const callTool = connector?.actions.find((action) => action.key === 'callTool');
  if (!connector || !listTools || !callTool) {
    throw nodeFailure(
      'E_UNKNOWN_ACTION',
      'core.agent has MCP tools, but the mcp connector is not installed on this worker.',
      'Install the mcp connector, or remove the { mcp } tools from the node.',
    );
  }
  return { connector, listTools, callTool };
}

/** A description as the model reads it: no control characters, one line of bounded length, marked as the server's. */
export function safeMcpDescription(tool: string, description: string | undefined): string {
  const cleaned = (description ?? '')
    .replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut =
    cleaned.length > MAX_MCP_DESCRIPTION_CHARS ? `${cleaned.slice(0, MAX_MCP_DESCRIPTION_CHARS)}…` : cleaned;
  return `MCP tool "${tool.slice(0, 128)}"${cut ? `: ${cut}` : '.'}`;
}

/** An object schema of bounded size (a missing, odd or huge one becomes "any object"). */
export function safeMcpSchema(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const anyObject = { type: 'object', additionalProperties: true };
  if (!schema || (schema.type !== undefined && schema.type !== 'object')) return anyObject;
  const { $schema: _ignored, ...rest } = schema;
  if (JSON.stringify(rest).length > MAX_MCP_SCHEMA_CHARS) return anyObject;
  return { ...rest, type: 'object' };
}

/** The allowed tools of a listing as offered, or a clear failure (a missing allow-listed tool, too many, a clash). */
export function offeredMcpTools(
  declaration: AgentMcpTool,
  listed: unknown,
  takenNames: ReadonlySet<string>,
): ListedMcpTool[] {
  const parsed = ServerListing.safeParse(listed);
  if (!parsed.success) {
    throw nodeFailure(
      'E_AGENT_MCP_TOOLS',
      `core.agent: the MCP server of credential "${declaration.mcp}" answered the tool listing with something that is not a tool list.`,
      'Check that the server speaks MCP (mcp.listTools on it shows what it offers).',
    );
  }
  const offered = parsed.data.tools;
  const allowed = declaration.tools
    ? offered.filter((tool) => declaration.tools?.includes(tool.name))
    : offered;
  const missing = (declaration.tools ?? []).filter((name) => !offered.some((tool) => tool.name === name));
  if (missing.length > 0) {
    throw nodeFailure(
      'E_AGENT_MCP_TOOLS',
      `core.agent: the MCP server of credential "${declaration.mcp}" offers no tool ${missing.map((name) => `"${name.slice(0, 128)}"`).join(', ')}.`,
      `It offers: ${
        offered
          .slice(0, 30)
          .map((tool) => tool.name.slice(0, 64))
          .join(', ') || '(none)'
      }. Fix the "tools" allow-list.`,
    );
  }
  if (allowed.length > MAX_AGENT_MCP_TOOLS) {
    throw nodeFailure(
      'E_AGENT_MCP_TOOLS',
      `core.agent: the MCP server of credential "${declaration.mcp}" offers ${allowed.length} tools, more than ${MAX_AGENT_MCP_TOOLS}.`,
      'Give the declaration a "tools" allow-list of the ones the agent needs.',
    );
  }
  const names = new Set(takenNames);
  return allowed.map((tool) => {
    const name = mcpToolName(declaration.prefix, tool.name);
    if (names.has(name)) {
      throw nodeFailure(
        'E_AGENT_MCP_TOOLS',
        `core.agent: the MCP tool "${tool.name.slice(0, 128)}" of credential "${declaration.mcp}" would be named "${name}", like another tool.`,
        'Give the MCP declaration a "prefix" (e.g. "docs_"), or an allow-list without the clashing tool.',
      );
    }
    names.add(name);
    return {
      name,
      tool: tool.name,
      description: safeMcpDescription(tool.name, tool.description),
      inputSchema: safeMcpSchema(tool.inputSchema),
    };
  });
}

export const mcpToolSpec = (tool: ListedMcpTool): ToolSpec => ({
  name: tool.name,
  description: tool.description,
  inputSchema: tool.inputSchema,
});

/** Lists the server's tools through mcp.listTools (credential checks, rate budget, timeouts as any action's). */
export async function listMcpTools(
  step: { deps: NodeRunnerDeps; ctx: RunContext; node: WorkflowNode; path: string; attempt: number },
  declaration: AgentMcpTool,
  seq: number,
  signal: AbortSignal,
): Promise<unknown> {
  const { deps, ctx, node, path, attempt } = step;
  const { connector, listTools } = mcpActions(deps);
  const outcome = await invokeStepAction(deps, ctx, {
    connector,
    action: listTools,
    nodeId: node.id,
    uses: 'mcp.listTools',
    credential: declaration.mcp,
    input: { server: declaration.server, timeoutMs: declaration.timeoutMs },
    attempt,
    signal,
    timeoutMs: node.timeoutMs,
    idempotencyKey: idempotencyKeyFor(ctx.run.id, `${node.id}#${seq}`, path),
  });
  if (outcome.kind === 'succeeded') return outcome.output;
  if (outcome.kind === 'failed') {
    const { code, message, hint, retryable } = outcome.error;
    throw new AppError({
      code,
      message: `core.agent could not list the tools of the MCP server of credential "${declaration.mcp}": ${message}`,
      ...(hint ? { hint } : {}),
      retryable,
    });
  }
  throw new AppError({
    code: 'E_RATE_LIMITED',
    message: `core.agent: the rate budget of credential "${declaration.mcp}" is used up; the step is retried.`,
    retryable: true,
  });
}

/** What the model reads back from an MCP call: its text, and its structured result when it has one. */
export function mcpResultText(output: unknown): unknown {
  const result = z
    .object({ text: z.string(), structuredContent: z.record(z.string(), z.unknown()).optional() })
    .safeParse(output);
  if (!result.success) return output;
  return result.data.structuredContent
    ? { text: result.data.text, structuredContent: result.data.structuredContent }
    : result.data.text;
}
