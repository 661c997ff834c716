import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ensureLocalOwner } from '../../access/index.ts';
import { loadAllConnectors } from '../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { logger } from '../../lib/index.ts';
import { createKnowledgeBase } from '../../retrieval/index.ts';
import {
  createEngineServices,
  getRunView,
  installWorkerSchema,
  parseDocumentText,
  startRun,
  waitForRun,
} from '../../runtime/index.ts';
import { printErr, printOut } from '../terminal-text.ts';

type RunOptions = { workflow?: string; input: string; wait?: boolean; json?: boolean; timeout: string };

/** The document in FILE, or the process exits with the parser's exit code and message. */
async function readDocument(file: string): Promise<unknown> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (error) {
    printErr(`vmesh run: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const parsed = parseDocumentText(text);
  if (!parsed.ok) {
    printErr(`vmesh run: ${parsed.error.message}\n`);
    process.exit(parsed.error.exitCode);
  }
  return parsed.value;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'Run a workflow: validate, store and run a document FILE, or run the stored workflow --workflow ID (trigger data from --input).',
    )
    .argument('[file]', 'workflow document (JSON or YAML)')
    .option('--workflow <id>', 'run this stored workflow on its current version instead of a file')
    .option('--input <json>', 'trigger data as JSON', '{}')
    .option('--wait', 'run a worker in this process and wait for the run to finish')
    .option('--json', 'print the run as JSON: { runId, status, output, steps }')
    .option('--timeout <ms>', 'how long --wait waits', '300000')
    .action(async (file: string | undefined, options: RunOptions) => {
      if ((file === undefined) === (options.workflow === undefined)) {
        printErr('vmesh run: give a workflow document FILE or --workflow ID (one of them).\n');
        process.exit(2);
      }
      let input: unknown;
      try {
        input = JSON.parse(options.input);
      } catch {
        printErr('vmesh run: --input is not valid JSON.\n');
        process.exit(2);
      }
      const document = file === undefined ? undefined : await readDocument(file);
      const config = parseDatabaseConfig();
      const database = await openDatabase(config);
      let exitCode = 1;
      try {
        await installWorkerSchema(database.url);
        const connectors = await loadAllConnectors(database.sql, logger);
        const engine = await createEngineServices(database, {
          dataDir: config.dataDir,
          connectors,
          knowledgeBase: createKnowledgeBase(database.sql, { log: (message) => logger.info(message) }),
        });
        const by = { principal: await ensureLocalOwner(database.sql, 'cli') };
        const workflowId = document === undefined ? options.workflow : undefined;
        const report = document === undefined ? undefined : engine.workflows.validate(document);
        if (report && !report.valid) {
          if (options.json)
            printOut(
              `${JSON.stringify({ valid: false, errors: report.errors, warnings: report.warnings }, null, 2)}\n`,
            );
          else
            for (const issue of report.errors)
              printErr(`${issue.code} ${issue.path}: ${issue.message}\n  hint: ${issue.hint}\n`);
          return;
        }
        const id = workflowId ?? (await engine.workflows.create(document, undefined, { by })).id;
        const { runId } = await startRun(database.sql, id, input, { by });
        if (!options.wait) {
          const view = await getRunView(database.sql, runId);
          printOut(
            options.json ? `${JSON.stringify(view, null, 2)}\n` : `Run ${runId} queued (workflow ${id}).\n`,
          );
          exitCode = 0;
          return;
        }
        const worker = await engine.startWorker();
        try {
          const view = await waitForRun(database.sql, runId, { timeoutMs: Number(options.timeout) });
          if (options.json) printOut(`${JSON.stringify(view, null, 2)}\n`);
          else {
            printOut(`Run ${runId}: ${view.status}\n`);
            for (const step of view.steps)
              printOut(`  ${step.path ? `${step.path}/` : ''}${step.id}: ${step.status}\n`);
            printOut(`output: ${JSON.stringify(view.output)}\n`);
          }
          exitCode = view.status === 'succeeded' ? 0 : 1;
        } finally {
          await worker.stop();
        }
      } finally {
        await database.close();
      }
      process.exit(exitCode);
    });
}
