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
      transport: z.literal('stdio').describe('A local MCP server started as a child process.'),
      command: z
        .string()
        .min(1)
        .describe('The program to start, e.g. "npx" or "/usr/local/bin/my-mcp-server".'),
      args: z
        .array(z.string())
        .default([])
        .describe('Its arguments, e.g. ["-y", "@modelcontextprotocol/server-everything"].'),
      cwd: z.string().optional().describe('Working directory of the process.'),
      env: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
        .optional()
        .describe('Extra non-secret environment variables (secrets go in the mcp credential’s env).'),
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
  const where = target.transport === 'http' ? target.url : target.command;
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
      hint: 'Check `command`: it must be an installed program on the server’s PATH (or an absolute path).',
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
          : new StdioClientTransport({
              command: target.command,
              args: target.args,
              ...(target.cwd ? { cwd: target.cwd } : {}),
              // Only the SDK's safe defaults (PATH, HOME…) plus what the node and credential give: never our secrets.
              env: { ...(target.env ?? {}), ...(credential?.env ?? {}) },
              stderr: 'ignore',
            });
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
