import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorError } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { createSafeFetch } from '../sdk/safe-fetch.ts';
import { createTestEnvironment } from '../testing/fake-server.ts';
import { docSections, runAction, runActionError } from '../testing/run-action.ts';
import { mcpConnector } from './connector.ts';
import { type McpFake, startMcpFake } from './fake-server.ts';

const TOKEN = 'mcp-token-canary-42';
let fake: McpFake;
/** The operator's allow-list: the fixture server, and one whose program is not installed. */
const stdioServers = {
  fixture: {
    command: process.execPath,
    args: [fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url))],
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
  },
  missing: { command: '/nonexistent/mcp-server', args: [] },
};
const env: ConnectorEnvironment = { ...createTestEnvironment(), stdioServers };
const credential = { bearerToken: TOKEN };

beforeAll(async () => {
  fake = await startMcpFake({ token: TOKEN });
});
afterAll(async () => {
  await fake.close();
});

const http = () => ({ transport: 'http', url: fake.url });
const stdio = { transport: 'stdio', name: 'fixture' };

type CallOutput = { text: string; content: unknown[]; structuredContent?: Record<string, unknown> };

const fail = async (key: string, input: unknown, cred: unknown = credential, runEnv = env) =>
  (await runActionError(mcpConnector, key, input, { env: runEnv, credential: cred })) as ConnectorError;

describe('mcp over Streamable HTTP', () => {
  it('calls a tool with a bearer token and returns text and structured content', async () => {
    const out = (await runAction(
      mcpConnector,
      'callTool',
      { server: http(), tool: 'add', arguments: { a: 2, b: 40 } },
      { env, credential },
    )) as CallOutput;
    expect(out.text).toBe('2 + 40 = 42');
    expect(out.structuredContent).toEqual({ sum: 42 });
    expect(fake.calls.at(-1)).toEqual({ tool: 'add', arguments: { a: 2, b: 40 } });
  });

  it('lists tools with their schemas', async () => {
    const out = (await runAction(mcpConnector, 'listTools', { server: http() }, { env, credential })) as {
      tools: { name: string; inputSchema: { properties?: Record<string, unknown> } }[];
    };
    expect(out.tools.map((tool) => tool.name).sort()).toEqual(['add', 'echo', 'fail']);
    expect(Object.keys(out.tools.find((tool) => tool.name === 'add')?.inputSchema.properties ?? {})).toEqual([
      'a',
      'b',
    ]);
  });

  it('a tool error (isError) becomes a non-retryable error carrying the tool’s text', async () => {
    const error = await fail('callTool', {
      server: http(),
      tool: 'fail',
      arguments: { reason: 'no such project' },
    });
    expect(error.code).toBe('E_TOOL');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('cannot do that: no such project');
  });

  it('unknown tools and bad arguments are refused without retry', async () => {
    const unknown = await fail('callTool', { server: http(), tool: 'nope', arguments: {} });
    expect(unknown.retryable).toBe(false);
    const bad = await fail('callTool', { server: http(), tool: 'add', arguments: { a: 'x' } });
    expect(bad.retryable).toBe(false);
  });

  it('a missing token is an auth error; 429 and 503 are retryable', async () => {
    const auth = await fail('callTool', { server: http(), tool: 'add', arguments: { a: 1, b: 1 } }, {});
    expect(auth.code).toBe('E_AUTH');
    expect(auth.retryable).toBe(false);
    fake.failNext(429, 1, { 'retry-after': '3' });
    const limited = await fail('callTool', { server: http(), tool: 'add', arguments: { a: 1, b: 1 } });
    expect(limited.code).toBe('E_RATE_LIMITED');
    expect(limited.retryable).toBe(true);
    fake.failNext(503);
    const down = await fail('callTool', { server: http(), tool: 'add', arguments: { a: 1, b: 1 } });
    expect(down.retryable).toBe(true);
  });

  it('goes through env.fetch: the guarded fetch blocks a loopback MCP url unless allowed', async () => {
    const guarded = { ...env, fetch: createSafeFetch() };
    const blocked = await fail(
      'callTool',
      { server: http(), tool: 'add', arguments: { a: 1, b: 2 } },
      credential,
      guarded,
    );
    expect(blocked.code).toBe('E_BLOCKED_DESTINATION');
    const allowed = { ...env, fetch: createSafeFetch({ allowHosts: ['127.0.0.1'] }) };
    const out = (await runAction(
      mcpConnector,
      'callTool',
      { server: http(), tool: 'echo', arguments: { message: 'hi' } },
      { env: allowed, credential },
    )) as CallOutput;
    expect(out.text).toBe('hi');
  });
});

describe('mcp over stdio', () => {
  it('starts the server, calls tools, passes only the given environment', async () => {
    process.env.VMESH_SECRET_KEY ??= 'host-secret-should-not-leak';
    const out = (await runAction(
      mcpConnector,
      'callTool',
      { server: stdio, tool: 'add', arguments: { a: 5, b: 6 } },
      { env },
    )) as CallOutput;
    expect(out.structuredContent).toEqual({ sum: 11 });
    const envOut = (await runAction(
      mcpConnector,
      'callTool',
      { server: stdio, tool: 'env', arguments: {} },
      { env, credential: { env: { FIXTURE_SECRET: 'from-credential' } } },
    )) as CallOutput;
    expect(envOut.text).toBe('from-credential no-key');
    const error = await fail(
      'callTool',
      { server: stdio, tool: 'fail', arguments: { reason: 'stdio says no' } },
      {},
    );
    expect(error.code).toBe('E_TOOL');
    expect(error.message).toContain('stdio says no');
  });

  it('an allow-listed program that does not exist is a clear, non-retryable error', async () => {
    const error = await fail('callTool', { server: { transport: 'stdio', name: 'missing' }, tool: 'x' }, {});
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('could not start');
  });

  it('a server the operator did not list, or a command given by the workflow, is refused before anything starts', async () => {
    const unlisted = await fail('listTools', { server: { transport: 'stdio', name: 'other' } }, {});
    expect(unlisted.code).toBe('E_MCP_STDIO_NOT_ALLOWED');
    expect(unlisted.hint).toContain('VMESH_MCP_STDIO_SERVERS');
    const direct = await fail(
      'callTool',
      { server: { transport: 'stdio', command: process.execPath, args: ['-e', '1'] }, tool: 'x' },
      {},
    );
    expect(direct.code).toBe('E_MCP_STDIO_NOT_ALLOWED');
    expect(direct.hint).toContain('Ask the operator');
    // Without an allow-list in the environment nothing is allowed, not even a name that exists elsewhere.
    const none = await fail('listTools', { server: stdio }, {}, createTestEnvironment());
    expect(none.code).toBe('E_MCP_STDIO_NOT_ALLOWED');
  });
});

it('doc.md has one section per action', async () => {
  const doc = await readFile(mcpConnector.docPath, 'utf8');
  expect(docSections(doc)).toEqual(mcpConnector.actions.map((action) => action.key));
});
