import { Command } from 'commander';
import { VERSION } from '../app/version.ts';
import { registerChatCommand } from './commands/chat.ts';
import { registerConnectorsCommand } from './commands/connectors.ts';
import { registerConnectorsImportCommand } from './commands/connectors-import.ts';
import { registerCredentialsCommand } from './commands/credentials.ts';
import { registerDocsCommand } from './commands/docs.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerProposalsCommand } from './commands/proposals.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerRunsCommand } from './commands/runs.ts';
import { registerSchemaCommand } from './commands/schema.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerValidateCommand } from './commands/validate.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { registerWorkflowsCommand } from './commands/workflows.ts';

/** Every `vmesh` command. Each registers itself from its own module under cli/commands. */
export function createProgram(): Command {
  const program = new Command();
  program
    .name('vmesh')
    .description('VelocityMesh: describe an automation in chat, approve the workflow, run it on Postgres.')
    .version(VERSION)
    .showHelpAfterError();
  registerStartCommand(program);
  registerMigrateCommand(program);
  registerSchemaCommand(program);
  registerDocsCommand(program);
  registerConnectorsImportCommand(registerConnectorsCommand(program));
  registerCredentialsCommand(program);
  registerValidateCommand(program);
  registerRunCommand(program);
  registerWorkerCommand(program);
  registerWorkflowsCommand(program);
  registerRunsCommand(program);
  registerChatCommand(program);
  registerProposalsCommand(program);
  return program;
}
