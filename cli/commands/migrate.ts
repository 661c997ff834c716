import type { Command } from 'commander';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { installWorkerSchema } from '../../runtime/index.ts';
import { printOut } from '../terminal-text.ts';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply database migrations (ours and the job queue schema), then exit.')
    .action(async () => {
      const applied: string[] = [];
      const database = await openDatabase(parseDatabaseConfig(), {
        log: (message) => {
          if (message.startsWith('### MIGRATION')) applied.push(message);
        },
      });
      try {
        await installWorkerSchema(database.url);
        printOut(`Database is up to date (${database.kind}).\n`);
      } finally {
        await database.close();
      }
    });
}
