import { z } from 'zod';
import { type AgentRun, defineCoreNode, type NodeCheckProblem, noBranches } from './define-core-node.ts';
import type { Outcome } from './outcome.ts';

/** Legal for Anthropic, OpenAI and MCP alike. */
export const AGENT_TOOL_NAME = /^[a-z0-9_]{1,64}$/;
export const MAX_AGENT_TOOLS = 32;

export const AgentActionTool = z.strictObject({
  uses: z
    .string()
    .regex(/^[a-z][a-zA-Z0-9_-]*\.[a-zA-Z][a-zA-Z0-9_]*$/)
    .describe('The connector action the model may call, e.g. "http.request" (core nodes are not tools).'),
  name: z
    .string()
    .regex(AGENT_TOOL_NAME)
    .optional()
    .describe('The tool name the model sees ([a-z0-9_]); default: `uses` lower-cased with "." as "_".'),
  description: z
    .string()
    .min(1)
    .max(2000)
    .optional()
    .describe('When the model should call it and what it returns; default: the action’s own description.'),
  credential: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The name of the stored credential the action uses, as a node’s `credential`.'),
  with: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'Parameters fixed for every call (the model cannot change them and does not see them as parameters).',
    ),
});

export const AgentWorkflowTool = z.strictObject({
  workflow: z
    .string()
    .min(1)
    .max(200)
    .describe(
      'A stored, active workflow of the same owner (id or exact name) the model may run: its input is the trigger data, its output the result.',
    ),
  name: z.string().regex(AGENT_TOOL_NAME).describe('The tool name the model sees ([a-z0-9_]).'),
  description: z.string().min(1).max(2000).describe('When the model should run it and what it returns.'),
  input: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('JSON Schema of the trigger data the model passes (default: any object).'),
});

/** Most tools one MCP declaration offers the model (use `tools` to choose among more). */
export const MAX_AGENT_MCP_TOOLS = 32;

/** Which MCP server, as mcp.listTools' `server` (checked fully when the tools are listed). */
const AgentMcpServer = z
  .union([
    z.strictObject({
      transport: z.literal('http').describe('A Streamable HTTP MCP server.'),
      url: z.url().describe('The server’s MCP endpoint, e.g. https://mcp.example.com/mcp.'),
      headers: z.record(z.string(), z.string()).optional().describe('Extra HTTP headers (no secrets).'),
    }),
    z.strictObject({
      transport: z.literal('stdio').describe('A local MCP server the operator allow-listed.'),
      name: z.string().min(1).max(100).describe('Its name in VMESH_MCP_STDIO_SERVERS.'),
    }),
  ])
  .describe('The MCP server, as mcp.callTool’s `server`.');

export const AgentMcpTool = z.strictObject({
  mcp: z
    .string()
    .min(1)
    .max(200)
    .describe('The name of the stored mcp credential used to list and call the server’s tools.'),
  server: AgentMcpServer,
  tools: z
    .array(z.string().min(1).max(128))
    .max(MAX_AGENT_MCP_TOOLS)
    .optional()
    .describe(
      'Allow-list: the server tools (as the server names them) the model may call; default: all it lists.',
    ),
  prefix: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,19}$/)
    .optional()
    .describe('Put before each tool name the model sees, e.g. "docs_" (keeps two servers’ tools apart).'),
  readOnly: z
    .boolean()
    .default(false)
    .describe(
      'The server’s tools only read: with approveWrites they run without approval (default: they count as writes).',
    ),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(60_000)
    .describe('How long one listing or call may take, in milliseconds.'),
});

export const AgentToolDeclaration = z.union([AgentActionTool, AgentWorkflowTool, AgentMcpTool]);
export type AgentToolDeclaration = z.infer<typeof AgentToolDeclaration>;
export type AgentActionTool = z.infer<typeof AgentActionTool>;
export type AgentWorkflowTool = z.infer<typeof AgentWorkflowTool>;
export type AgentMcpTool = z.infer<typeof AgentMcpTool>;

export const isWorkflowTool = (tool: AgentToolDeclaration): tool is AgentWorkflowTool => 'workflow' in tool;
export const isMcpTool = (tool: AgentToolDeclaration): tool is AgentMcpTool => 'mcp' in tool;

/**
 * The name the model sees for an MCP server's tool: the prefix, then the name lower-cased with every other
 * character as "_", cut to 64 ([a-z0-9_]{1,64} is legal for every provider).
 */
export const mcpToolName = (prefix: string | undefined, name: string): string =>
  `${prefix ?? ''}${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 64) || '_';

export const AgentMemory = z.strictObject({
  key: z
    .string()
    .min(1)
    .max(500)
    .describe(
      'The session key, usually an expression, e.g. "{{ trigger.chat.id }}": runs with one key share a memory.',
    ),
  window: z
    .number()
    .int()
    .min(2)
    .max(200)
    .default(20)
    .describe('How many recent messages (questions and answers) the model sees again.'),
  mode: z
    .enum(['window', 'summary'])
    .default('window')
    .describe('window: older messages are dropped; summary: the model condenses them into a stored summary.'),
});

export const CoreAgentWith = z.strictObject({
  prompt: z
    .string()
    .min(1)
    .max(100_000)
    .describe('The user message the agent answers (usually an expression).'),
  system: z.string().max(50_000).optional().describe('The system prompt: the agent’s role, rules and tone.'),
  model: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The model, e.g. "claude-sonnet-4-5" or "gpt-4o-mini"; default: the llm credential’s model.'),
  tools: z
    .array(AgentToolDeclaration)
    .max(MAX_AGENT_TOOLS)
    .default([])
    .describe('Connector actions the model may call; each call is a recorded sub-step of the run.'),
  maxToolCalls: z
    .number()
    .int()
    .min(0)
    .max(200)
    .default(10)
    .describe('Most tool calls in the step; one more fails it with E_AGENT_TOOL_BUDGET.'),
  maxTokens: z
    .number()
    .int()
    .min(100)
    .max(5_000_000)
    .default(50_000)
    .describe('Most tokens (input + output, all turns); past it the step fails with E_AGENT_TOKEN_BUDGET.'),
  maxTurnTokens: z
    .number()
    .int()
    .min(16)
    .max(64_000)
    .default(2048)
    .describe('Most output tokens of one model answer.'),
  timeBudgetMs: z
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(120_000)
    .describe(
      'Most time for the loop, counted from its first model call (or the last approval decision); past it: E_AGENT_TIME_BUDGET.',
    ),
  output: z
    .strictObject({
      schema: z
        .record(z.string(), z.unknown())
        .describe('JSON Schema of the answer; a mismatch gets one repair round, then E_AGENT_OUTPUT.'),
    })
    .optional()
    .describe('Structured output: the answer is JSON matching `schema`, output as `data`.'),
  memory: AgentMemory.optional().describe('Chat memory by session key, stored in Postgres.'),
  approveWrites: z
    .boolean()
    .default(false)
    .describe(
      'Each call of a tool whose action writes (effect "write") waits for a person’s approval, as core.approval does.',
    ),
  approvers: z
    .array(z.string().min(1).max(200))
    .optional()
    .describe(
      'Who may approve write calls (user names or `role:<role>`); default: anyone who may decide approvals.',
    ),
});
export type CoreAgentWith = z.infer<typeof CoreAgentWith>;

/** The tool name the model sees for an action or workflow declaration. */
export const agentToolName = (tool: AgentActionTool | AgentWorkflowTool): string =>
  isWorkflowTool(tool)
    ? tool.name
    : (tool.name ?? tool.uses.replace('.', '_').replace(/-/g, '_').toLowerCase());

/** The names a declaration gives the model, with the field that names each (MCP: known only with an allow-list). */
function declaredNames(tool: AgentToolDeclaration, index: number): { name: string; field: string[] }[] {
  if (!isMcpTool(tool)) return [{ name: agentToolName(tool), field: ['tools', String(index), 'name'] }];
  return (tool.tools ?? []).map((listed, at) => ({
    name: mcpToolName(tool.prefix, listed),
    field: ['tools', String(index), 'tools', String(at)],
  }));
}

/** A JSON Schema zod can check answers against (false when it cannot be turned into a validator). */
export function agentOutputValidator(schema: Record<string, unknown>): z.ZodType | undefined {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch {
    return undefined;
  }
}

function checkAgent(withValue: Record<string, unknown>): NodeCheckProblem[] {
  const problems: NodeCheckProblem[] = [];
  const parsed = CoreAgentWith.safeParse(withValue);
  if (!parsed.success) return problems;
  const seen = new Set<string>();
  parsed.data.tools.forEach((tool, index) => {
    if (isMcpTool(tool) && tool.tools?.length === 0) {
      problems.push({
        code: 'E_PARAMS',
        field: ['tools', String(index), 'tools'],
        message: `the MCP tools of "${tool.mcp}" have an empty allow-list, so the model could call none`,
        hint: 'List the server tools the model may call (e.g. ["search_docs"]), or leave "tools" out to offer all.',
      });
    }
    for (const { name, field } of declaredNames(tool, index)) {
      if (!AGENT_TOOL_NAME.test(name)) {
        problems.push({
          code: 'E_PARAMS',
          field,
          message: `tool "${isWorkflowTool(tool) ? tool.workflow : isMcpTool(tool) ? tool.mcp : tool.uses}" gets the name "${name}", which is not [a-z0-9_]{1,64}`,
          hint: 'Give the tool a "name" of lower-case letters, digits and underscores.',
        });
      }
      if (seen.has(name)) {
        problems.push({
          code: 'E_PARAMS',
          field,
          message: `two tools are named "${name}"`,
          hint: isMcpTool(tool)
            ? 'Give this MCP declaration a "prefix" (e.g. "docs_"), or drop the tool from one allow-list.'
            : 'Give one of them another "name" (e.g. "lookup_order" and "create_refund").',
        });
      }
      seen.add(name);
    }
  });
  const schema = parsed.data.output?.schema;
  if (schema && !agentOutputValidator(schema)) {
    problems.push({
      code: 'E_PARAMS',
      field: ['output', 'schema'],
      message: '"output.schema" is not a usable JSON Schema',
      hint: 'Give a JSON Schema object with "type", "properties" and "required".',
    });
  }
  return problems;
}

/** A made-up value of a JSON Schema, for the dry run. */
export function sampleOfSchema(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return null;
  const node = schema as Record<string, unknown>;
  if ('const' in node) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  if ('default' in node) return node.default;
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  switch (type) {
    case 'object': {
      const properties = (node.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, sampleOfSchema(value, depth + 1)]),
      );
    }
    case 'array':
      return [sampleOfSchema(node.items, depth + 1)];
    case 'string':
      return 'text';
    case 'integer':
    case 'number':
      return typeof node.minimum === 'number' ? node.minimum : 0;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

type AgentWait =
  | { kind: 'approval'; message: string; approvers: string[] }
  | { kind: 'child'; workflow: string; input: unknown; state: Record<string, unknown> };
const AgentState = z.object({
  input: z.unknown(),
  seq: z.number().int(),
  childRunId: z.string().optional(),
});
const ChildError = z.object({ message: z.string() }).loose();

/** The loop's result as the step's outcome: its output, or a wait for an approval or a workflow tool's child run. */
function toOutcome(agent: CoreAgentWith, run: AgentRun, input: unknown): Outcome {
  if (run.kind === 'done') return { kind: 'succeeded', input, output: run.output };
  const state = { input: agent, seq: run.seq };
  const wait: AgentWait =
    run.kind === 'approval'
      ? { kind: 'approval', message: run.message, approvers: agent.approvers ?? [] }
      : { kind: 'child', workflow: run.workflow, input: run.input, state };
  return { kind: 'wait', input, wait, state };
}

export const agentNode = defineCoreNode({
  uses: 'core.agent',
  title: 'Agent',
  description:
    'Runs an LLM agent inside one step: the model answers with.prompt (with with.system as its instructions) and ' +
    'may call the connector actions in with.tools (e.g. http.request to look something up) or stored workflows ' +
    '({ workflow, name, description }) or an MCP server’s tools ({ mcp: credential, server, tools?: allow-list, ' +
    'prefix? }), each call a recorded ' +
    'sub-step that is not repeated when the step resumes. Budgets: maxToolCalls, maxTokens, timeBudgetMs. ' +
    'with.output.schema makes the answer JSON checked against that schema; with.memory keeps a chat memory by ' +
    'session key; with.approveWrites makes each write tool call wait for a person’s approval. The node’s ' +
    'credential is an llm credential. Output: { text, data?, toolCalls, usage, model }.',
  contract: {
    title: 'Agent (an LLM with tools in one step)',
    text: '`with.prompt`, `system`, `tools` [{ uses, credential?, with? } | { mcp, server, tools?, prefix? }], budgets, `output.schema`, `memory`. Credential: llm.',
  },
  effect: 'write',
  inline: false,
  claimless: false,
  credentialType: 'llm',
  with: CoreAgentWith,
  branches: noBranches,
  literalFields: ['tools', 'output'],
  check: checkAgent,
  shape: ['{{', '}}'],
  async run(ctx) {
    const { tools, output, ...rest } = ctx.node.with;
    const evaluated = (await ctx.evaluate(rest)) as Record<string, unknown>;
    const input = ctx.setInput({ ...evaluated, tools, ...(output === undefined ? {} : { output }) });
    const agent = CoreAgentWith.parse(input);
    return toOutcome(agent, await ctx.runAgent(agent), input);
  },
  async begin(value, ctx) {
    const wait = value as AgentWait;
    if (wait.kind === 'child') {
      // The child's id joins the loop's state (input and seq), which startChildRun stores on the step.
      const childRunId = await ctx.startChildRun(wait.workflow, wait.input, wait.state);
      ctx.event('step.waiting', { ...ctx.step, childRunId });
      return;
    }
    const approvalId = await ctx.requestApproval(wait.message, wait.approvers);
    ctx.event('approval.requested', {
      ...ctx.step,
      approvalId,
      message: wait.message,
      approvers: wait.approvers,
    });
  },
  async resume(ctx) {
    const state = AgentState.safeParse(ctx.state);
    if (!state.success) return { kind: 'pending' };
    const agent = CoreAgentWith.parse(state.data.input);
    const { seq, childRunId } = state.data;
    if (childRunId) {
      const child = await ctx.childRun(childRunId);
      if (!child || child.live) return { kind: 'pending' };
      const reason = ChildError.safeParse(child.error);
      const run = await ctx.runAgent(agent, {
        kind: 'child',
        seq,
        childRunId,
        status: child.status,
        output: child.output ?? null,
        error: reason.success ? reason.data.message : null,
      });
      return toOutcome(agent, run, null);
    }
    const approval = await ctx.approval();
    if (!approval || (approval.status !== 'approved' && approval.status !== 'rejected'))
      return { kind: 'pending' };
    const run = await ctx.runAgent(agent, {
      kind: 'approval',
      seq,
      decision: approval.status,
      decidedBy: approval.decidedBy,
      comment: approval.comment,
    });
    return toOutcome(agent, run, null);
  },
  simulate(input) {
    const parsed = CoreAgentWith.safeParse(input);
    const schema = parsed.success ? parsed.data.output?.schema : undefined;
    return {
      status: 'simulated',
      output: {
        text: schema ? JSON.stringify(sampleOfSchema(schema)) : 'The agent’s answer.',
        ...(schema ? { data: sampleOfSchema(schema) } : {}),
        toolCalls: 0,
        usage: { inputTokens: 0, outputTokens: 0 },
        model: parsed.success ? (parsed.data.model ?? 'the credential’s model') : 'unknown',
      },
    };
  },
});
