import type { Command } from 'commander';
import { ensureLocalOwner } from '../../access/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { printOut } from '../terminal-text.ts';

/** runtime/ brings the engine: loaded only when a subcommand runs, while the database opens. */
const loadRuntime = () => import('../../runtime/index.ts');

const PositiveInteger = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--limit takes a whole number above 0, not "${value}".`);
  return n;
};

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
        const { listFailedRuns, listRunSummaries } = await runtime;
        const summaries = await listRunSummaries(database.sql, {
          workflowId: options.workflow,
          status: options.status,
          limit: 100,
        });
        // Failed runs say why, and their failure group (what `vmesh runs retry-failed --group` takes).
        const failures =
          options.status === 'failed'
            ? new Map(
                (await listFailedRuns(database.sql, { workflowId: options.workflow, limit: 100 })).map(
                  (run) => [
                    run.runId,
                    { step: run.step, code: run.code, message: run.message, group: run.group },
                  ],
                ),
              )
            : new Map<string, never>();
        const rows = summaries.map((row) => {
          const failure = failures.get(row.runId);
          return failure ? { ...row, failure } : row;
        });
        if (options.json) printOut(`${JSON.stringify(rows, null, 2)}\n`);
        else
          for (const row of rows) {
            printOut(
              `${row.runId}  ${row.status.padEnd(9)}  ${row.workflowId} v${row.version}  ${row.createdAt}\n`,
            );
            const failure = failures.get(row.runId);
            if (failure)
              printOut(
                `  ${failure.step ?? '(run)'}: ${failure.code ? `${failure.code} ` : ''}${failure.message}  group ${failure.group}\n`,
              );
          }
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
  runs
    .command('retry')
    .argument('<id>')
    .description(
      'Resume failed run ID from the step that failed (steps that succeeded keep their outputs); --latest runs the rest on the current version, e.g. after a fix.',
    )
    .option('--latest', "run the remaining steps on the workflow's current version")
    .option('--version <n>', 'run the remaining steps on this version (the same or newer)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { latest?: boolean; version?: string; json?: boolean }) => {
      const runtime = loadRuntime();
      const database = await openDatabase(parseDatabaseConfig());
      try {
        const { retryRun, getRunView, getWorkflowRow } = await runtime;
        const by = { principal: await ensureLocalOwner(database.sql, 'cli') };
        let version: number | undefined;
        if (options.version !== undefined) {
          version = Number(options.version);
          if (!Number.isInteger(version) || version < 1)
            throw new Error(`--version takes a version number, not "${options.version}".`);
        } else if (options.latest) {
          const run = await getRunView(database.sql, id, { stepsLimit: 1 });
          version = (await getWorkflowRow(database.sql, run.workflowId)).currentVersion;
        }
        const result = await retryRun(database.sql, id, { version, by });
        if (options.json) printOut(`${JSON.stringify(result, null, 2)}\n`);
        else printOut(`Run ${result.runId} resumes on version ${result.version}.\n`);
      } finally {
        await database.close();
      }
    });
  runs
    .command('retry-failed')
    .description(
      'Retry every failed run that failed the same way (--group, from `vmesh runs list --status failed`) and/or every failed run of --workflow: each resumes at its failed step on the newest version, e.g. after a fix.',
    )
    .option('--group <group>', 'the failure group')
    .option('--workflow <id>', 'only runs of this workflow')
    .option('--limit <n>', `at most this many (default 20, at most 100)`, PositiveInteger)
    .option('--json', 'print JSON')
    .action(async (options: { group?: string; workflow?: string; limit?: number; json?: boolean }) => {
      if (!options.group && !options.workflow)
        throw new Error(
          'Say which failed runs to retry: --group G (see `vmesh runs list --status failed`), --workflow ID, or both.',
        );
      const runtime = loadRuntime();
      const database = await openDatabase(parseDatabaseConfig());
      try {
        const { retryFailedRuns } = await runtime;
        const by = { principal: await ensureLocalOwner(database.sql, 'cli') };
        const result = await retryFailedRuns(database.sql, {
          group: options.group,
          workflowId: options.workflow,
          limit: options.limit,
          by,
        });
        if (options.json) printOut(`${JSON.stringify(result, null, 2)}\n`);
        else {
          for (const run of result.retried) printOut(`Run ${run.runId} resumes on version ${run.version}.\n`);
          for (const run of result.notRetried) printOut(`Run ${run.runId} not retried: ${run.reason}\n`);
          if (result.retried.length === 0 && result.notRetried.length === 0)
            printOut('No failed runs matched.\n');
          if (result.more) printOut('More runs matched: run the command again for the next ones.\n');
        }
      } finally {
        await database.close();
      }
    });
  runs
    .command('cancel')
    .argument('<id>')
    .description('Cancel run ID (queued, running or waiting) and its child runs.')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const runtime = loadRuntime();
      const database = await openDatabase(parseDatabaseConfig());
      try {
        const { cancelRun } = await runtime;
        const by = { principal: await ensureLocalOwner(database.sql, 'cli') };
        const result = { runId: id, ...(await cancelRun(database.sql, id, by)) };
        if (options.json) printOut(`${JSON.stringify(result, null, 2)}\n`);
        else printOut(`Run ${id} is ${result.status}.\n`);
      } finally {
        await database.close();
      }
    });
}
