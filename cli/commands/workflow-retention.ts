import type { Command } from 'commander';
import { ensureLocalOwner } from '../../access/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { printOut } from '../terminal-text.ts';

/** DAYS as typed: a whole number of days (0: forever), or `default` for VMESH_RUN_RETENTION_DAYS. */
function parseDays(raw: string): number | null {
  if (raw === 'default') return null;
  if (!/^\d{1,5}$/.test(raw))
    throw new Error(
      `DAYS must be a whole number of days (0 keeps the run data forever) or "default", not "${raw}".`,
    );
  return Number(raw);
}

/** `vmesh workflows retention ID DAYS|default [--json]`: how long a workflow's run data is kept. */
export function registerWorkflowRetention(workflows: Command): void {
  workflows
    .command('retention <id> <days>')
    .description(
      "Keep workflow ID's run data DAYS days (0: forever), or `default` to follow VMESH_RUN_RETENTION_DAYS; the hourly prune job applies it.",
    )
    .option('--json', 'print JSON')
    .action(async (id: string, rawDays: string, options: { json?: boolean }) => {
      const days = parseDays(rawDays);
      const loading = import('../../runtime/index.ts');
      const database = await openDatabase(parseDatabaseConfig());
      try {
        const { runRetentionDays, setWorkflowRetention } = await loading;
        const globalDays = runRetentionDays(process.env);
        const principal = await ensureLocalOwner(database.sql, 'cli');
        const retention = await setWorkflowRetention(database.sql, id, days, globalDays, { principal });
        const kept = (n: number) => (n === 0 ? 'forever' : `${n} day${n === 1 ? '' : 's'}`);
        printOut(
          options.json
            ? `${JSON.stringify(retention, null, 2)}\n`
            : retention.days === null
              ? `Workflow ${id} follows VMESH_RUN_RETENTION_DAYS (${kept(globalDays)} here).\n`
              : `Workflow ${id} keeps its run data ${kept(retention.days)}.\n`,
        );
      } finally {
        await database.close();
      }
    });
}
