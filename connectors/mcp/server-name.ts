/** An MCP `server` as written: its URL, or the stdio program's name on the worker host; null when neither. */
export function mcpServerName(server: unknown): string | null {
  if (typeof server === 'string') return server;
  if (!server || typeof server !== 'object') return null;
  const { transport, name, url } = server as Record<string, unknown>;
  if (transport === 'stdio' && typeof name === 'string') return `${name} (a program on the worker host)`;
  return typeof url === 'string' ? url : null;
}
