import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ConnectorError, connectorErrorFromStatus } from '../sdk/connector-error.ts';
import type { ConnectorEnvironment } from '../sdk/define.ts';
import { findConnectorError } from '../sdk/outbound/blocked-destination-error.ts';
import { type StdioServer, StdioServerName, type StdioServers } from '../sdk/stdio-servers.ts';

export const McpCredential = z.strictObject({
  bearerToken: z
    .string()
    .min(1)
    .optional()
    .describe('Sent as `Authorization: Bearer …` to Streamable HTTP servers.'),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
    .optional()
    .describe('Environment variables for stdio servers, e.g. {"GITHUB_TOKEN":"…"}.'),
});
export type McpCredential = z.infer<typeof McpCredential>;

export const McpServerTarget = z
  .discriminatedUnion('transport', [
    z.strictObject({
      transport: z.literal('http').describe('A Streamable HTTP MCP server.'),
      url: z.url().describe('The server’s MCP endpoint, e.g. https://mcp.example.com/mcp.'),
      headers: z
        .record(z.string(), z.string())
        .optional()
        .describe('Extra HTTP headers (not secrets: put tokens in the mcp credential).'),
    }),
    z.strictObject({
      transport: z
        .literal('stdio')
        .describe('A local MCP server the operator allow-listed, started as a program on the worker host.'),
      name: StdioServerName.describe(
        'Its name in the operator’s allow-list (VMESH_MCP_STDIO_SERVERS), written literally: never an expression. The command and its arguments come from that list, not from the workflow.',
      ),
    }),
  ])
  .describe('Which MCP server to talk to and how.');
export type McpServerTarget = z.infer<typeof McpServerTarget>;

export type McpClient = {
  /** Connects to the server, runs `use`, and always closes the connection (and the child process). */
  withSession<T>(
    target: McpServerTarget,
    signal: AbortSignal,
    timeoutMs: number,
    use: (client: Client) => Promise<T>,
  ): Promise<T>;
};

/** Maps MCP and transport failures: connection trouble is retryable, protocol refusals are not. */
export function toMcpError(error: unknown, target: McpServerTarget): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const inner = findConnectorError(error);
  if (inner) return inner;
  const where = target.transport === 'http' ? target.url : `stdio server "${target.name}"`;
  if (error instanceof StreamableHTTPError && typeof error.code === 'number' && error.code >= 400) {
    return connectorErrorFromStatus({
      connector: 'mcp',
      status: error.code,
      message: error.message,
      hint:
        error.code === 401 || error.code === 403
          ? 'The MCP server refused the request: set `bearerToken` in the mcp credential bound to this node.'
          : undefined,
      cause: error,
    });
  }
  if (error instanceof McpError) {
    const transient = error.code === ErrorCode.RequestTimeout || error.code === ErrorCode.ConnectionClosed;
    return new ConnectorError({
      code: error.code === ErrorCode.RequestTimeout ? 'E_TIMEOUT' : transient ? 'E_NETWORK' : 'E_REQUEST',
      message: `mcp (${where}): ${error.message}`,
      retryable: transient,
      hint: transient
        ? 'The MCP server was slow or went away; the step is retried.'
        : 'Check `tool` and `arguments` against the server’s tools (mcp.listTools shows them with their schemas).',
      details: { mcpCode: error.code },
      cause: error,
    });
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT' || code === 'EACCES') {
    return new ConnectorError({
      code: 'E_REQUEST',
      message: `mcp: could not start "${where}" (${String(code)}).`,
      retryable: false,
      hint: 'The operator’s VMESH_MCP_STDIO_SERVERS entry names a program that is not installed or not executable on the worker host.',
      cause: error,
    });
  }
  return new ConnectorError({
    code: 'E_NETWORK',
    message: `mcp (${where}): ${error instanceof Error ? error.message : String(error)}`,
    retryable: true,
    hint: 'The MCP server could not be reached; the step is retried. Check the url or command if it persists.',
    cause: error,
  });
}

/** The MCP SDK Client over stdio or Streamable HTTP; HTTP requests go through `env.fetch`. */
export function createMcpClient(options: {
  credential: McpCredential | undefined;
  env: ConnectorEnvironment;
}): McpClient {
  const { credential, env } = options;
  return {
    async withSession(target, signal, timeoutMs, use) {
      const transport =
        target.transport === 'http'
          ? new StreamableHTTPClientTransport(new URL(target.url), {
              fetch: env.fetch,
              requestInit: {
                headers: {
                  ...(target.headers ?? {}),
                  ...(credential?.bearerToken ? { authorization: `Bearer ${credential.bearerToken}` } : {}),
                },
              },
            })
          : stdioTransport(allowedStdioServer(env.stdioServers, target.name), credential);
      const client = new Client({ name: 'velocitymesh', version: '1.0.0' });
      try {
        await client.connect(transport, { signal, timeout: timeoutMs });
        return await use(client);
      } catch (error) {
        if (signal.aborted) throw error;
        throw toMcpError(error, target);
      } finally {
        await client.close().catch(() => {});
      }
    },
  };
}

/** Starts the operator's program with only the SDK's safe defaults (PATH, HOME…) plus the credential's and its env. */
function stdioTransport(program: StdioServer, credential: McpCredential | undefined): StdioClientTransport {
  return new StdioClientTransport({
    command: program.command,
    args: program.args,
    ...(program.cwd ? { cwd: program.cwd } : {}),
    // The operator's env wins: a credential adds secrets, it cannot change how the program runs.
    env: { ...(credential?.env ?? {}), ...(program.env ?? {}) },
    stderr: 'ignore',
  });
}

/** The operator's entry for `name`, or E_MCP_STDIO_NOT_ALLOWED: a workflow never chooses the program itself. */
export function allowedStdioServer(servers: StdioServers | undefined, name: string): StdioServer {
  const server = servers && Object.hasOwn(servers, name) ? servers[name] : undefined;
  if (!server) throw stdioNotAllowed(name, Object.keys(servers ?? {}));
  return server;
}

export function stdioNotAllowed(name: string, known: readonly string[]): ConnectorError {
  return new ConnectorError({
    code: 'E_MCP_STDIO_NOT_ALLOWED',
    message: `mcp: the stdio server "${name}" is not in the operator's allow-list (${known.length > 0 ? `allowed: ${known.join(', ')}` : 'none is allowed'}).`,
    retryable: false,
    hint: `A stdio MCP server is a program on the worker host: ask the operator to add "${name}" to VMESH_MCP_STDIO_SERVERS ({"${name}":{"command":"…","args":[…]}}), then name it as {"transport":"stdio","name":"${name}"}.`,
  });
}
