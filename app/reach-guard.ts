import type { FastifyInstance, FastifyReply } from 'fastify';
import { type RouteClass, routeClassOf } from './route-class.ts';

export type ReachConfig = {
  /** VMESH_PUBLIC_URL (or the default http://HOST:PORT): its host and origin are this server's own. */
  publicUrl: string;
  /** The address listened on (HOST); a specific address is one of the server's own names too. */
  host?: string | undefined;
  /** Without a token the server is loopback-only: /api, /chat/api and /mcp answer direct clients only. */
  apiToken: string | undefined;
  /** VMESH_MCP_ALLOWED_HOSTS / VMESH_MCP_ALLOWED_ORIGINS: extra values accepted on /mcp only. */
  mcpHosts?: readonly string[];
  mcpOrigins?: readonly string[];
};

/** Headers a reverse proxy adds: a request carrying one did not come straight from this machine. */
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;
/** What a tokenless server serves only to direct loopback clients. */
const TOKEN_GUARDED = new Set<RouteClass>(['api', 'chat', 'mcp']);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean);

/** Reads VMESH_MCP_ALLOWED_HOSTS and VMESH_MCP_ALLOWED_ORIGINS (comma-separated). */
export function mcpExtrasFromEnv(env: NodeJS.ProcessEnv): Pick<ReachConfig, 'mcpHosts' | 'mcpOrigins'> {
  return { mcpHosts: list(env.VMESH_MCP_ALLOWED_HOSTS), mcpOrigins: list(env.VMESH_MCP_ALLOWED_ORIGINS) };
}

/** The Host values and origins this server answers to, at the port it listens on. */
export function ownNames(config: ReachConfig, port: number): { hosts: Set<string>; origins: Set<string> } {
  const publicUrl = new URL(config.publicUrl);
  const defaultPort = publicUrl.protocol === 'https:' ? '443' : '80';
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, publicUrl.host]);
  if (!publicUrl.port) hosts.add(`${publicUrl.host}:${defaultPort}`);
  const origins = new Set([
    `http://127.0.0.1:${port}`,
    `http://localhost:${port}`,
    `http://[::1]:${port}`,
    publicUrl.origin,
  ]);
  const listenHost = config.host ?? '';
  if (!WILDCARD_HOSTS.has(listenHost)) {
    const shown = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
    hosts.add(`${shown}:${port}`.toLowerCase());
    origins.add(`http://${shown}:${port}`.toLowerCase());
  }
  return { hosts, origins };
}

/**
 * Where a request may come from, checked in onRequest before any route (DNS rebinding and cross-site requests):
 * - Host must be one of the server's own names (loopback names at its port, the public URL's host, the listen
 *   address) on every route but /healthz; a page that rebinds its DNS name to 127.0.0.1 sends its own name → 403.
 * - Origin, when sent, must be one of the server's own origins (same rule, /healthz excepted; hook senders send
 *   none, a browser on another site does) → 403.
 * - A server without VMESH_API_TOKEN answers /api, /chat/api and /mcp only to direct clients: a request with
 *   X-Forwarded-For, Forwarded or X-Real-IP came through a proxy → 403 E_PROXY_NEEDS_TOKEN.
 * The route family comes from the routed route (routeClassOf), so no spelling of a path skips a check.
 */
export function installReachGuard(app: FastifyInstance, config: ReachConfig): void {
  const listening = () => {
    const address = app.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  };
  const mcpHosts = new Set(config.mcpHosts ?? []);
  const mcpOrigins = new Set(config.mcpOrigins ?? []);

  app.addHook('onRequest', async (request, reply) => {
    const { kind } = routeClassOf(request);
    if (kind === 'health') return;
    const own = ownNames(config, listening());
    const host = (request.headers.host ?? '').toLowerCase();
    if (!own.hosts.has(host) && !(kind === 'mcp' && mcpHosts.has(host))) {
      return refuse(
        reply,
        kind,
        'E_FORBIDDEN_HOST',
        `Host "${host.slice(0, 100) || '(none)'}" is not this server.`,
        'Reach the server at its own address, or set VMESH_PUBLIC_URL to the URL people and senders use.',
      );
    }
    const origin = request.headers.origin?.toLowerCase();
    if (origin !== undefined && !own.origins.has(origin) && !(kind === 'mcp' && mcpOrigins.has(origin))) {
      return refuse(
        reply,
        kind,
        'E_FORBIDDEN_ORIGIN',
        `Requests from the page at ${origin.slice(0, 100)} are not accepted.`,
        "Only this server's own pages (its loopback address or VMESH_PUBLIC_URL) may call it from a browser.",
      );
    }
    if (
      !config.apiToken &&
      TOKEN_GUARDED.has(kind) &&
      PROXY_HEADERS.some((name) => name in request.headers)
    ) {
      return refuse(
        reply,
        kind,
        'E_PROXY_NEEDS_TOKEN',
        'This request came through a proxy, and the server has no API token.',
        'Set VMESH_API_TOKEN (openssl rand -hex 32): without one, only clients on this machine may use the server.',
      );
    }
  });
}

function refuse(reply: FastifyReply, kind: RouteClass, code: string, message: string, hint: string) {
  if (kind === 'mcp') {
    return reply
      .code(403)
      .send({ jsonrpc: '2.0', error: { code: -32000, message: `${message} ${hint}` }, id: null });
  }
  return reply.code(403).send({ error: { code, message, hint } });
}
