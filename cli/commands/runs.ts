import type { Command } from 'commander';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { printOut } from '../terminal-text.ts';

/** runtime/ brings the engine: loaded only when a subcommand runs, while the database opens. */
const loadRuntime = () => import('../../runtime/index.ts');

export function registerRunsCommand(program: Command): void {
  const runs = program.command('runs').description('Workflow runs.');
  runs
    .command('list')
    .option('--workflow <id>', 'only runs of this workflow')
    .option('--status <status>', 'only runs with this status')
    .option('--json', 'print JSON')
    .action(async (options: { workflow?: string; status?: string; json?: boolean }) => {
      const runtime = loadRuntime();
      const database = await openDatabase(parseDatabaseConfig());
      try {
        const { listRunSummaries } = await runtime;
        const rows = await listRunSummaries(database.sql, {
          workflowId: options.workflow,
          status: options.status,
          limit: 100,
        });
        if (options.json) printOut(`${JSON.stringify(rows, null, 2)}\n`);
        else
          for (const row of rows)
            printOut(
              `${row.runId}  ${row.status.padEnd(9)}  ${row.workflowId} v${row.version}  ${row.createdAt}\n`,
            );
      } finally {
        await database.close();
      }
    });
  runs
    .command('get')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const runtime = loadRuntime();
      const database = await openDatabase(parseDatabaseConfig());
      try {
        const { getRunView } = await runtime;
        const view = await getRunView(database.sql, id);
        if (options.json) printOut(`${JSON.stringify(view, null, 2)}\n`);
        else {
          printOut(`Run ${view.runId}: ${view.status} (workflow ${view.workflowId} v${view.version})\n`);
          for (const step of view.steps)
            printOut(`  ${step.path ? `${step.path}/` : ''}${step.id}: ${step.status}\n`);
          printOut(`output: ${JSON.stringify(view.output)}\n`);
        }
      } finally {
        await database.close();
      }
    });
}
