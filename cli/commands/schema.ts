import type { Command } from 'commander';
import { workflowJsonSchema } from '../../runtime/workflow/index.ts';

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of the workflow document (schemaVersion 1).')
    .action(() => {
      process.stdout.write(`${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
    });
}
