import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ensureLocalOwner } from '../../access/index.ts';
import { loadAllConnectors } from '../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { logger } from '../../lib/index.ts';
import { printOut } from '../terminal-text.ts';

type Runtime = typeof import('../../runtime/index.ts');
type Database = Awaited<ReturnType<typeof openDatabase>>;
type WorkflowService = ReturnType<Runtime['createWorkflowService']>;
type Operation = {
  sql: Database['sql'];
  runtime: Runtime;
  service: WorkflowService;
  by: { principal: Awaited<ReturnType<typeof ensureLocalOwner>> };
};

/** The workflow service as the server has it (connectors loaded, triggers kept in step), as the local owner. */
async function withWorkflowService<T>(fn: (operation: Operation) => Promise<T>): Promise<T> {
  const loading = import('../../runtime/index.ts');
  const database = await openDatabase(parseDatabaseConfig());
  try {
    const runtime = await loading;
    const connectors = await loadAllConnectors(database.sql, logger);
    const service = runtime.createWorkflowService(database.sql, connectors, {
      onTriggerChange: runtime.triggerSync(connectors),
    });
    const by = { principal: await ensureLocalOwner(database.sql, 'cli') };
    return await fn({ sql: database.sql, runtime, service, by });
  } finally {
    await database.close();
  }
}

type WorkflowState = { id: string; name: string; active: boolean; version: number };
const stateOf = (row: {
  id: string;
  name: string;
  active: boolean;
  currentVersion: number;
}): WorkflowState => ({
  id: row.id,
  name: row.name,
  active: row.active,
  version: row.currentVersion,
});

function print(json: boolean | undefined, value: object, text: string): void {
  printOut(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/** Asks on a terminal; without one (a script, CI) the caller must have passed --yes. */
async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

const VersionArgument = (value: string): number => {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1)
    throw new Error(`--to takes a version number, not "${value}".`);
  return version;
};

/** `vmesh workflows activate|deactivate|delete|rollback ID`: what the API's workflow routes do, as the local owner. */
export function registerWorkflowOperations(workflows: Command): void {
  for (const [verb, describe, said] of [
    ['activate', 'Activate workflow ID: its hooks, schedules and polls start.', 'is active'],
    ['deactivate', 'Deactivate workflow ID: nothing starts it until it is activated again.', 'is inactive'],
  ] as const) {
    workflows
      .command(`${verb} <id>`)
      .description(describe)
      .option('--json', 'print the workflow as JSON')
      .action(async (id: string, options: { json?: boolean }) => {
        const state = await withWorkflowService(async ({ service, by }) =>
          stateOf(verb === 'activate' ? await service.activate(id, by) : await service.deactivate(id, by)),
        );
        print(options.json, state, `Workflow "${state.name}" (${state.id}) ${said}.`);
      });
  }
  workflows
    .command('delete <id>')
    .description(
      'Delete workflow ID: it stops and disappears from lists; its runs keep their records. Asks first unless --yes.',
    )
    .option('--yes', 'do not ask (needed without a terminal)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { yes?: boolean; json?: boolean }) => {
      const deleted = await withWorkflowService(async ({ sql, runtime, service, by }) => {
        const row = await runtime.getWorkflowRow(sql, id);
        if (!options.yes && !(await confirmed(`Delete workflow "${row.name}" (${row.id})?`))) {
          throw new Error(
            process.stdin.isTTY
              ? 'Not deleted.'
              : `Not deleted: pass --yes to delete workflow ${id} without a terminal to confirm on.`,
          );
        }
        await service.remove(id, by);
        return { id: row.id, name: row.name, deleted: true };
      });
      print(options.json, deleted, `Deleted workflow "${deleted.name}" (${deleted.id}).`);
    });
  workflows
    .command('rollback <id>')
    .description(
      'Make an earlier version of workflow ID current again, as a new version (history is kept). Default: the version before the current one.',
    )
    .option('--to <version>', 'the version to go back to', VersionArgument)
    .option('--json', 'print JSON')
    .action(async (id: string, options: { to?: number; json?: boolean }) => {
      const result = await withWorkflowService(({ sql, runtime, service, by }) =>
        runtime.rollbackWorkflow(sql, service, id, { toVersion: options.to, by }),
      );
      print(
        options.json,
        result,
        result.changed
          ? `Workflow ${id} runs version ${result.to}'s document again, as version ${result.version}.`
          : `Version ${result.to} has the same document as the current version; nothing changed.`,
      );
    });
}
