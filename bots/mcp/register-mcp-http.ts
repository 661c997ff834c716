import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createVmeshMcpServer, type VmeshMcpDeps } from './create-mcp-server.ts';

export type McpHttpOptions = Omit<VmeshMcpDeps, 'actor' | 'defaultThread'> & {
  /** Host header values accepted (DNS rebinding protection), e.g. `127.0.0.1:3000`, `vmesh.example.com`. */
  allowedHosts: readonly string[] | (() => readonly string[]);
  /** Origin header values accepted when a browser sends one, e.g. `https://vmesh.example.com`. */
  allowedOrigins: readonly string[] | (() => readonly string[]);
};

type Session = { transport: StreamableHTTPServerTransport; owner: string };

/**
 * MCP over Streamable HTTP at /mcp. Host and Origin are checked first (403: a web page on another site that
 * rebinds DNS to this server gets nowhere), then the person behind the request (`request.principal`, set by the
 * server's authentication from the shared token or a per-user API token; 401 without one); each session
 * belongs to the identity that opened it (`token:<id>`), and a session id used by another identity, or unknown,
 * is refused (404).
 */
export async function registerMcpHttp(app: FastifyInstance, options: McpHttpOptions): Promise<void> {
  const sessions = new Map<string, Session>();
  const lowerSet = (values: readonly string[] | (() => readonly string[])) =>
    new Set((typeof values === 'function' ? values() : values).map((value) => value.toLowerCase()));

  const refuse = (reply: FastifyReply, status: number, message: string) =>
    reply.code(status).send({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const hosts = lowerSet(options.allowedHosts);
    const origins = lowerSet(options.allowedOrigins);
    const host = (request.headers.host ?? '').toLowerCase();
    const origin = request.headers.origin?.toLowerCase();
    if (!hosts.has(host)) return refuse(reply, 403, `Host ${host || '(none)'} is not allowed for /mcp.`);
    if (origin !== undefined && !origins.has(origin))
      return refuse(reply, 403, `Origin ${origin} is not allowed for /mcp.`);
    const principal = request.principal;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      return refuse(
        reply,
        401,
        'Send Authorization: Bearer <token> (`vmesh tokens create --user owner --name claude`, or VMESH_API_TOKEN), or use `vmesh mcp` (stdio).',
      );
    }
    const owner = principal.identity;
    const sessionId = request.headers['mcp-session-id'];
    let session: Session | undefined;
    if (typeof sessionId === 'string') {
      session = sessions.get(sessionId);
      if (!session || session.owner !== owner)
        return refuse(reply, 404, 'Unknown MCP session: initialize a new one.');
    } else {
      if (request.method !== 'POST') return refuse(reply, 400, 'Start with an initialize request (POST).');
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, owner });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      const server = await createVmeshMcpServer({
        ...options,
        // The session's workflow tools and resources are what its person may see and run.
        workflows: options.workflows?.forViewer(principal),
        actor: { platform: 'mcp', id: owner, displayName: principal.name, principal },
        defaultThread: randomUUID().replace(/-/g, ''),
      });
      await server.connect(transport);
      session = { transport, owner };
    }
    reply.hijack();
    await session.transport.handleRequest(request.raw, reply.raw, request.body);
  };

  app.post('/mcp', handle);
  app.get('/mcp', handle);
  app.delete('/mcp', handle);
  app.addHook('onClose', async () => {
    await Promise.all([...sessions.values()].map((session) => session.transport.close()));
  });
}
