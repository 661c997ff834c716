import type { ActionCheckContext, ActionIssue } from '../sdk/define.ts';
import { stdioNotAllowed } from './client.ts';

/** Fields that would let a document choose the program: only the operator's allow-list sets them. */
const PROGRAM_FIELDS = ['command', 'args', 'cwd', 'env'] as const;

const isExpression = (value: unknown) => typeof value === 'string' && value.includes('{{');

const literalIssue = (field: string, what: string): ActionIssue => ({
  code: 'E_MCP_SERVER_LITERAL',
  field,
  message: `mcp: ${what} must be written literally; it holds a {{ }} expression, so run data could choose the server`,
  hint: 'Write "server" out, e.g. {"transport":"stdio","name":"github"} or {"transport":"http","url":"https://…"}; pass changing values through "arguments".',
});

/**
 * The checks on `with.server` a schema cannot make: the transport and a stdio server's name are literal, a stdio
 * server is one the operator allow-listed, and the document never gives a command, arguments, cwd or env.
 */
export function checkServer(withValue: Record<string, unknown>, context: ActionCheckContext): ActionIssue[] {
  const server = withValue.server;
  if (isExpression(server)) return [literalIssue('/server', '"server"')];
  if (!server || typeof server !== 'object' || Array.isArray(server)) return [];
  const target = server as Record<string, unknown>;
  if (isExpression(target.transport)) return [literalIssue('/server/transport', '"server.transport"')];
  if (target.transport !== 'stdio') return [];
  const issues: ActionIssue[] = [];
  const given = PROGRAM_FIELDS.filter((field) => field in target);
  if (given.length > 0) {
    const name = typeof target.name === 'string' && !isExpression(target.name) ? target.name : 'my-server';
    issues.push({
      code: 'E_MCP_STDIO_NOT_ALLOWED',
      field: `/server/${given[0]}`,
      message: `mcp: a workflow cannot give a stdio server's ${given.join(', ')}: a stdio server is a program on the worker host, and only the operator chooses which programs run`,
      hint: `Ask the operator to add the server to VMESH_MCP_STDIO_SERVERS ({"${name}":{"command":"…","args":[…]}}), then write "server": {"transport":"stdio","name":"${name}"}.`,
    });
  }
  if (isExpression(target.name)) issues.push(literalIssue('/server/name', '"server.name"'));
  else if (
    typeof target.name === 'string' &&
    given.length === 0 &&
    !Object.hasOwn(context.stdioServers, target.name)
  ) {
    const refused = stdioNotAllowed(target.name, Object.keys(context.stdioServers));
    issues.push({
      code: refused.code,
      field: '/server/name',
      message: refused.message,
      hint: refused.hint ?? '',
    });
  }
  return issues;
}
