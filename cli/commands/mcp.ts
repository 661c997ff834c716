import { userInfo } from 'node:os';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { ensureLocalOwner } from '../../access/index.ts';
import { createAgent, toBotConversationPort } from '../../agent/index.ts';
import { createRuntimeWorkflowPort, createVmeshMcpServer } from '../../bots/index.ts';
import { loadAllConnectors } from '../../connectors/index.ts';
import { logger } from '../../lib/index.ts';
import { docsReady } from '../../retrieval/index.ts';
import { onShutdown } from '../shutdown.ts';
import { openAgentDatabase } from './chat.ts';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description(
      'Serve VelocityMesh as an MCP server over stdio (for Claude Desktop, Cursor, the MCP Inspector…).',
    )
    .action(async () => {
      // stdout carries the protocol: every log line goes to stderr (or nowhere) from here on.
      logger.level = process.env.LOG_LEVEL ?? 'silent';
      console.log = console.error;
      // MCP clients end a stdio server by closing its input, then SIGTERM, then SIGKILL: all three end it here,
      // including while it is still starting.
      const shutdown = onShutdown({ stdinEnd: true });
      const database = await openAgentDatabase();
      shutdown.add(() => database.close());
      const connectors = await loadAllConnectors(database.sql, logger);
      const agent = createAgent({ sql: database.sql, connectors, docsLog: logger });
      // The first search_docs waits for this sync instead of answering from an empty index.
      void docsReady(database.sql, connectors, logger);
      let user = 'local';
      try {
        user = userInfo().username || user;
      } catch {}
      // Whoever can start `vmesh mcp` can read the data dir: the session is the local owner's. Approving still
      // needs the person (a one-time link to the running server, or `vmesh proposals approve`).
      const principal = await ensureLocalOwner(database.sql, 'mcp');
      const server = await createVmeshMcpServer({
        conversation: toBotConversationPort(agent, {
          approvalLinkBase: process.env.VMESH_PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`,
        }),
        workflows: createRuntimeWorkflowPort(database.sql),
        actor: { platform: 'mcp', id: principal.identity, principal },
        defaultThread: `stdio-${user}`,
      });
      const transport = new StdioServerTransport();
      transport.onclose = () => void shutdown.now('transport closed');
      shutdown.add(() => server.close());
      await server.connect(transport);
    });
}
