import { fileURLToPath } from 'node:url';
import { authorizationWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import { callTool } from './actions/call-tool.ts';
import { listTools } from './actions/list-tools.ts';
import { createMcpClient, type McpClient, McpCredential } from './client.ts';

export const mcpConnector = defineConnector<McpCredential, McpClient>({
  id: 'mcp',
  version: '1.0.0',
  title: 'MCP (Model Context Protocol)',
  description: 'Call tools on any MCP server, remote over Streamable HTTP or local over stdio.',
  credential: {
    type: 'mcp',
    schema: McpCredential,
    optional: true,
    howToGet:
      'For a server that needs a token: {"bearerToken":"…"} (a bare token on stdin works too). For a stdio server ' +
      'that reads secrets from its environment: {"env":{"GITHUB_TOKEN":"…"}}.',
    fromToken: (token) => ({ bearerToken: token }),
    wireSecrets: (credential: McpCredential) =>
      credential.bearerToken ? authorizationWireSecrets(credential.bearerToken, ['Bearer']) : [],
  },
  createClient: createMcpClient,
  actions: [callTool, listTools],
  triggers: [],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
