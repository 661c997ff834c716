import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntimePorts } from '../agent/runtime-ports.ts';
import { slackConnector } from '../connectors/slack/connector.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing/test-database.ts';
import { TOOL_NAME_PATTERN } from './define-tool.ts';
import { executeToolCall } from './execute-tool-call.ts';
import { agentTools } from './registry.ts';
import { toMcpTools } from './to-mcp-tools.ts';
import { toAnthropicTools, toOpenAITools, toolInputJsonSchema } from './to-provider-tools.ts';
import type { ToolContext } from './tool-context.ts';

type ObjectSchema = { type: string; properties: Record<string, unknown>; required?: string[] };
const schemaOf = (name: string) => {
  const tool = agentTools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return toolInputJsonSchema(tool) as ObjectSchema;
};

describe('the agent tool registry (contract over every entry)', () => {
  it('has unique legal names, real descriptions and object JSON Schemas for every provider', () => {
    const names = agentTools.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    for (const tool of agentTools) {
      expect(tool.name).toMatch(TOOL_NAME_PATTERN);
      expect(tool.description.length, tool.name).toBeGreaterThan(40);
      expect(tool.description.length, tool.name).toBeLessThan(1_024);
      expect(toolInputJsonSchema(tool).type).toBe('object');
    }
    expect(toAnthropicTools(agentTools).map((t) => t.name)).toEqual(names);
    expect(toOpenAITools(agentTools).map((t) => t.function.name)).toEqual(names);
    expect(names).toEqual([
      'search_docs',
      'list_connectors',
      'get_action',
      'draft_workflow',
      'test_workflow',
      'propose_workflow',
      'propose_change',
      'list_workflows',
      'get_workflow',
      'get_run',
      'explain_failure',
      'propose_fix',
      'run_workflow',
      'pause_workflow',
      'resume_workflow',
      'retry_run',
      'cancel_run',
      'rollback_workflow',
      'delete_workflow',
      'set_alert',
      'list_alerts',
      'remove_alert',
    ]);
  });

  it('write tools are exactly the proposing ones', () => {
    expect(agentTools.filter((t) => t.effect === 'write').map((t) => t.name)).toEqual([
      'propose_workflow',
      'propose_change',
      'propose_fix',
      'resume_workflow',
      'rollback_workflow',
      'delete_workflow',
    ]);
  });

  it('operate tools are exactly those that act at once on what the person asked: run, pause, retry, cancel, alerts to this chat', () => {
    expect(agentTools.filter((t) => t.effect === 'operate').map((t) => t.name)).toEqual([
      'run_workflow',
      'pause_workflow',
      'retry_run',
      'cancel_run',
      'set_alert',
      'remove_alert',
    ]);
  });

  it.each([
    ['search_docs', ['query', 'k'], ['query']],
    ['draft_workflow', ['document'], ['document']],
    ['test_workflow', ['document', 'triggerData'], ['document']],
    ['propose_workflow', ['document', 'summary'], ['document', 'summary']],
    ['propose_change', ['workflowId', 'patch', 'summary'], ['workflowId', 'patch', 'summary']],
    ['propose_fix', ['runId', 'document', 'summary'], ['runId', 'summary']],
  ])('%s takes exactly its documented input shape', (name, properties, required) => {
    const schema = schemaOf(name);
    expect(Object.keys(schema.properties).sort()).toEqual([...properties].sort());
    expect([...(schema.required ?? [])].sort()).toEqual([...required].sort());
  });
});

describe('tools over MCP and with hostile arguments', () => {
  let db: TestDatabase;
  let ctx: ToolContext;
  beforeAll(async () => {
    db = await createTestDatabase();
    const ports = createRuntimePorts({ sql: db.sql, connectors: [slackConnector] });
    ctx = {
      ...ports,
      docs: undefined,
      conversation: { id: null, actor: 'test', userId: 'usr_test' },
      proposals: {
        async create() {
          throw new Error('proposals are not created in this test');
        },
      },
    };
  });
  afterAll(() => db.drop());

  it('an MCP client lists and calls the same tools; failures are isError results', async () => {
    const server = new McpServer({ name: 'vmesh-test', version: '0.0.0' });
    for (const tool of toMcpTools(agentTools, () => ctx)) {
      server.registerTool(
        tool.name,
        { description: tool.description, inputSchema: tool.inputSchema, annotations: tool.annotations },
        (args: unknown) => tool.handler(args),
      );
    }
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'test-client', version: '0.0.0' });
    await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toContain('draft_workflow');
    expect(listed.tools.find((t) => t.name === 'propose_workflow')?.annotations?.readOnlyHint).toBe(false);

    const result = await client.callTool({
      name: 'draft_workflow',
      arguments: {
        document: {
          schemaVersion: 1,
          name: 'x',
          trigger: { type: 'manual' },
          nodes: [{ id: 'a', uses: 'nope.nothing' }],
        },
      },
    });
    const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
    expect(JSON.parse(text)).toMatchObject({
      valid: false,
      errors: [expect.objectContaining({ code: 'E_UNKNOWN_ACTION' })],
    });

    const missing = await client.callTool({ name: 'get_workflow', arguments: { workflowId: 'wf_missing' } });
    expect(missing.isError).toBe(true);
    await client.close();
    await server.close();
  });

  it('never throws on arbitrary tool arguments (fuzzed): every outcome is a readable result', async () => {
    const readOnly = agentTools.filter((tool) => tool.effect === 'read' && tool.name !== 'search_docs');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...readOnly.map((t) => t.name)),
        fc.jsonValue(),
        async (name, input) => {
          const outcome = await executeToolCall(agentTools, { name, input }, ctx);
          expect(typeof outcome.content).toBe('string');
          expect(outcome.content.length).toBeLessThan(20_000);
        },
      ),
      { numRuns: 150 },
    );
  });
});
