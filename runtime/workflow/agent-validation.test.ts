import { describe, expect, it } from 'vitest';
import { httpConnector, llmConnector, mcpConnector, slackConnector } from '../../connectors/index.ts';
import { agentNode } from '../nodes/agent.ts';
import { createCatalog } from './catalog.ts';
import { validateWorkflow } from './validate.ts';

// The validator's rules for core.agent: its llm credential, its tools bound like nodes, its output schema.

const catalog = createCatalog([httpConnector, llmConnector, slackConnector, mcpConnector]);

const agentDocument = (node: Record<string, unknown>) => ({
  schemaVersion: 1,
  name: 'agent',
  trigger: { type: 'manual' },
  nodes: [{ id: 'answer', uses: 'core.agent', credential: 'claude', ...node }],
  edges: [],
});

const issuesOf = (document: unknown, knownCredentials = ['claude', 'shop', 'slack']) => {
  const report = validateWorkflow(document, { catalog, knownCredentials });
  return [...report.errors, ...report.warnings].map((issue) => [issue.code, issue.path]);
};

describe('core.agent validation', () => {
  it('accepts an agent with an http tool and memory', () => {
    const report = validateWorkflow(
      agentDocument({
        with: {
          prompt: '{{ trigger.text }}',
          tools: [{ uses: 'http.request', name: 'get_order', credential: 'shop', with: { method: 'GET' } }],
          memory: { key: '{{ trigger.chat.id }}', window: 10, mode: 'summary' },
          output: { schema: { type: 'object', properties: { answer: { type: 'string' } } } },
        },
      }),
      { catalog, knownCredentials: ['claude', 'shop'] },
    );
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
  });

  it('checks the node credential as an llm credential', () => {
    const { credential: _none, ...bare } = agentDocument({ with: { prompt: 'hi' } }).nodes[0] ?? {};
    expect(issuesOf({ ...agentDocument({}), nodes: [bare] })).toContainEqual([
      'W_MISSING_CREDENTIAL',
      '/nodes/0',
    ]);
    expect(issuesOf(agentDocument({ credential: 'nope', with: { prompt: 'hi' } }))).toContainEqual([
      'W_UNKNOWN_CREDENTIAL',
      '/nodes/0/credential',
    ]);
  });

  it('binds tools like nodes: known actions, their parameters, their credentials', () => {
    const tools = [
      { uses: 'http.requets' },
      { uses: 'core.transform' },
      { uses: 'http.request', with: { methd: 'GET' } },
      { uses: 'slack.postMessage', credential: 'missing' },
      { uses: 'slack.postMessage', name: 'post' },
    ];
    const issues = issuesOf(agentDocument({ with: { prompt: 'hi', tools } }));
    expect(issues).toContainEqual(['E_UNKNOWN_ACTION', '/nodes/0/with/tools/0/uses']);
    expect(issues).toContainEqual(['E_UNKNOWN_ACTION', '/nodes/0/with/tools/1/uses']);
    expect(
      issues.some(([code, path]) => code === 'E_PARAMS' && path?.startsWith('/nodes/0/with/tools/2/with')),
    ).toBe(true);
    expect(issues).toContainEqual(['W_UNKNOWN_CREDENTIAL', '/nodes/0/with/tools/3/credential']);
    expect(issues).toContainEqual(['W_MISSING_CREDENTIAL', '/nodes/0/with/tools/4']);
  });

  it('refuses duplicate tool names, a bad output schema and unknown fields', () => {
    const duplicate = issuesOf(
      agentDocument({ with: { prompt: 'hi', tools: [{ uses: 'http.request' }, { uses: 'http.request' }] } }),
    );
    expect(duplicate).toContainEqual(['E_PARAMS', '/nodes/0/with/tools/1/name']);
    const schema = issuesOf(
      agentDocument({ with: { prompt: 'hi', output: { schema: { type: 'nonsense' } } } }),
    );
    expect(schema).toContainEqual(['E_PARAMS', '/nodes/0/with/output/schema']);
    const typo = issuesOf(agentDocument({ with: { prompt: 'hi', maxToolCall: 3 } }));
    expect(typo.some(([code]) => code === 'E_PARAMS')).toBe(true);
  });

  it('checks MCP tools: their credential, their allow-list, names that clash, their server', () => {
    const server = { transport: 'http', url: 'https://mcp.example.com/mcp' };
    const good = validateWorkflow(
      agentDocument({
        with: {
          prompt: 'hi',
          tools: [
            { mcp: 'docs', server, tools: ['search-docs', 'get.page'], prefix: 'docs_' },
            { uses: 'http.request', name: 'get_order', credential: 'shop' },
          ],
        },
      }),
      { catalog, knownCredentials: ['claude', 'shop', 'docs'] },
    );
    expect(good.errors).toEqual([]);
    expect(good.warnings).toEqual([]);

    const issues = issuesOf(
      agentDocument({
        with: {
          prompt: 'hi',
          tools: [
            { mcp: 'nodocs', server },
            { mcp: 'claude', server, tools: [] },
            { uses: 'http.request', name: 'docs_search' },
            { mcp: 'shop', server, tools: ['other', 'search'], prefix: 'docs_' },
            { mcp: 'shop', server: { transport: 'stdio', name: 'not-allowed' } },
          ],
        },
      }),
    );
    expect(issues).toContainEqual(['W_UNKNOWN_CREDENTIAL', '/nodes/0/with/tools/0/mcp']);
    expect(issues).toContainEqual(['E_PARAMS', '/nodes/0/with/tools/1/tools']);
    expect(issues).toContainEqual(['E_PARAMS', '/nodes/0/with/tools/3/tools/1']);
    expect(issues).toContainEqual(['E_PARAMS', '/nodes/0/with/tools/4/server/name']);
    const report = validateWorkflow(
      agentDocument({ with: { prompt: 'hi', tools: [{ mcp: 'claude', server, tools: [] }] } }),
      { catalog, knownCredentials: ['claude'] },
    );
    expect(report.errors[0]?.message).toContain('empty allow-list');
  });

  it('finds secrets written into a tool’s fixed parameters', () => {
    const issues = issuesOf(
      agentDocument({
        with: {
          prompt: 'hi',
          tools: [
            {
              uses: 'http.request',
              with: { headers: { authorization: 'Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789' } },
            },
          ],
        },
      }),
    );
    expect(issues.some(([code]) => code === 'E_INLINE_SECRET')).toBe(true);
  });
});

describe('core.agent dry run', () => {
  it('simulates its output from the output schema', async () => {
    const simulated = await agentNode.simulate(
      {
        prompt: 'hi',
        output: {
          schema: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['shipped', 'pending'] },
              count: { type: 'integer' },
            },
          },
        },
      },
      { body: undefined, steps: {}, runBody: async () => ({ ok: true, output: null }) },
    );
    expect(simulated).toMatchObject({
      status: 'simulated',
      output: { data: { status: 'shipped', count: 0 } },
    });
    const plain = await agentNode.simulate(
      { prompt: 'hi' },
      { body: undefined, steps: {}, runBody: async () => ({ ok: true, output: null }) },
    );
    expect(plain.output).not.toHaveProperty('data');
  });
});
