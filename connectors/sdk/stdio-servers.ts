import { z } from 'zod';
import { ValidationError } from '../../lib/index.ts';

/** The environment variable that lists the local programs (stdio MCP servers) workflows may start. */
export const STDIO_SERVERS_ENV = 'VMESH_MCP_STDIO_SERVERS';

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);
export const StdioServerName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, `_`, `.` and `-`, at most 64');

/** One program the operator allows workflows to start on the worker host, by name. */
export const StdioServer = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  cwd: z.string().optional(),
  env: z.record(EnvName, z.string()).optional(),
});
export type StdioServer = z.infer<typeof StdioServer>;

export const StdioServers = z.record(StdioServerName, StdioServer);
export type StdioServers = Readonly<Record<string, StdioServer>>;

/**
 * Parses VMESH_MCP_STDIO_SERVERS: JSON `{ "name": { "command": "…", "args": […], "cwd"?: "…", "env"?: {…} } }`.
 * Unset or empty means no stdio server is allowed. Invalid JSON is an error: a typo must not go unnoticed.
 */
export function parseStdioServers(text: string | undefined): StdioServers {
  if (text === undefined || text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError({
      code: 'E_CONFIG',
      message: `${STDIO_SERVERS_ENV} is not valid JSON.`,
      hint: `Set it to {"name":{"command":"/usr/local/bin/server","args":["--stdio"]}}, or unset it.`,
      cause: error,
    });
  }
  const parsed = StdioServers.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError({
      code: 'E_CONFIG',
      message: `${STDIO_SERVERS_ENV} does not match {"name":{"command":"…","args":[…],"cwd"?:"…","env"?:{…}}}: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ')}`,
      hint: 'Fix the entry the message names; names use letters, digits, `_`, `.` and `-`.',
    });
  }
  return parsed.data;
}

/** The servers this process's environment allows; an invalid value allows none (and the worker refuses to start). */
export function configuredStdioServers(env: NodeJS.ProcessEnv = process.env): StdioServers {
  try {
    return parseStdioServers(env[STDIO_SERVERS_ENV]);
  } catch {
    return {};
  }
}
