import { Command } from 'commander';
import { VERSION } from '../lib/index.ts';

type Register = (program: Command) => void;

/**
 * Every `vmesh` command, each in its own module under cli/commands. Modules are imported only when their
 * command runs (or for `--help`), so `vmesh validate` does not pay for the database, the engine or the SDKs.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  start: async () => (await import('./commands/start.ts')).registerStartCommand,
  migrate: async () => (await import('./commands/migrate.ts')).registerMigrateCommand,
  schema: async () => (await import('./commands/schema.ts')).registerSchemaCommand,
  validate: async () => (await import('./commands/validate.ts')).registerValidateCommand,
  run: async () => (await import('./commands/run.ts')).registerRunCommand,
  worker: async () => (await import('./commands/worker.ts')).registerWorkerCommand,
  workflows: async () => (await import('./commands/workflows.ts')).registerWorkflowsCommand,
  runs: async () => (await import('./commands/runs.ts')).registerRunsCommand,
  docs: async () => (await import('./commands/docs.ts')).registerDocsCommand,
  connectors: async () => {
    const [{ registerConnectorsCommand }, { registerConnectorsImportCommand }] = await Promise.all([
      import('./commands/connectors.ts'),
      import('./commands/connectors-import.ts'),
    ]);
    return (program) => registerConnectorsImportCommand(registerConnectorsCommand(program));
  },
  credentials: async () => (await import('./commands/credentials.ts')).registerCredentialsCommand,
  chat: async () => (await import('./commands/chat.ts')).registerChatCommand,
  proposals: async () => (await import('./commands/proposals.ts')).registerProposalsCommand,
  mcp: async () => (await import('./commands/mcp.ts')).registerMcpCommand,
  'login-link': async () => (await import('./commands/login-link.ts')).registerLoginLinkCommand,
  users: async () => (await import('./commands/users.ts')).registerUsersCommand,
  tokens: async () => (await import('./commands/tokens.ts')).registerTokensCommand,
  audit: async () => (await import('./commands/audit.ts')).registerAuditCommand,
  alerts: async () => (await import('./commands/alerts.ts')).registerAlertsCommand,
};

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** Builds the program with the command named in argv, or with all of them when none is named (help, unknown). */
export async function createProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command();
  program
    .name('vmesh')
    .description('VelocityMesh: describe an automation in chat, approve the workflow, run it on Postgres.')
    .version(VERSION)
    .showHelpAfterError();
  const named = argv[2];
  const wanted = named !== undefined && named in COMMANDS ? [named] : COMMAND_NAMES;
  const registers = await Promise.all(wanted.map((name) => COMMANDS[name]!()));
  for (const register of registers) register(program);
  return program;
}
