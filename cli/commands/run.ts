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

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Validate, store and run a workflow document (trigger data from --input).')
    .argument('<file>', 'workflow document (JSON or YAML)')
    .option('--input <json>', 'trigger data as JSON', '{}')
    .option('--wait', 'run a worker in this process and wait for the run to finish')
    .option('--json', 'print the run as JSON: { runId, status, output, steps }')
    .option('--timeout <ms>', 'how long --wait waits', '300000')
    .action(
      async (file: string, options: { input: string; wait?: boolean; json?: boolean; timeout: string }) => {
        let text: Buffer;
        try {
          text = await readFile(file);
        } catch (error) {
          printErr(
            `vmesh run: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`,
          );
          process.exit(2);
        }
        const parsed = parseDocumentText(text);
        if (!parsed.ok) {
          printErr(`vmesh run: ${parsed.error.message}\n`);
          process.exit(parsed.error.exitCode);
        }
        let input: unknown;
        try {
          input = JSON.parse(options.input);
        } catch {
          printErr('vmesh run: --input is not valid JSON.\n');
          process.exit(2);
        }
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
          const report = engine.workflows.validate(parsed.value);
          if (!report.valid) {
            if (options.json)
              printOut(
                `${JSON.stringify({ valid: false, errors: report.errors, warnings: report.warnings }, null, 2)}\n`,
              );
            else
              for (const issue of report.errors)
                printErr(`${issue.code} ${issue.path}: ${issue.message}\n  hint: ${issue.hint}\n`);
            return;
          }
          const by = { principal: await ensureLocalOwner(database.sql, 'cli') };
          const created = await engine.workflows.create(parsed.value, undefined, { by });
          const { runId } = await startRun(database.sql, created.id, input, { by });
          if (!options.wait) {
            const view = await getRunView(database.sql, runId);
            printOut(
              options.json
                ? `${JSON.stringify(view, null, 2)}\n`
                : `Run ${runId} queued (workflow ${created.id}).\n`,
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
      },
    );
}
