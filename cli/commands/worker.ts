import type { Command } from 'commander';
import { loadAllConnectors } from '../../connectors/index.ts';
import { openDatabase, parseDatabaseConfig } from '../../db/index.ts';
import { logger, startTracing, survivePostgresRestarts } from '../../lib/index.ts';
import { createKnowledgeBase } from '../../retrieval/index.ts';
import { createEngineServices, installWorkerSchema } from '../../runtime/index.ts';
import { onShutdown } from '../shutdown.ts';
import { printOut } from '../terminal-text.ts';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Run a worker only (no HTTP): start more of these against the same DATABASE_URL to scale out.',
    )
    .option('--concurrency <n>', 'jobs at once', '10')
    .option('--lease <ms>', 'heartbeat lease: jobs of a worker silent this long are released', '30000')
    .action(async (options: { concurrency: string; lease: string }) => {
      survivePostgresRestarts(logger);
      const shutdown = onShutdown({ log: (reason) => logger.info({ reason }, 'worker stopping') });
      // Spans of the steps this worker runs go out when OTEL_EXPORTER_OTLP_ENDPOINT is set; flushed last.
      const tracing = await startTracing();
      shutdown.add(() => tracing.stop());
      const config = parseDatabaseConfig();
      const database = await openDatabase(config);
      shutdown.add(() => database.close());
      await installWorkerSchema(database.url);
      // Imported OpenAPI connectors too: a worker-only process must run every action the server accepts.
      const connectors = await loadAllConnectors(database.sql, logger);
      const engine = await createEngineServices(database, {
        dataDir: config.dataDir,
        connectors,
        knowledgeBase: createKnowledgeBase(database.sql, { log: (message) => logger.info(message) }),
      });
      const worker = await engine.startWorker({
        concurrency: Number(options.concurrency),
        leaseMs: Number(options.lease),
      });
      shutdown.add(() => worker.stop());
      logger.info({ workerId: worker.workerId }, 'worker started');
      printOut(`worker ${worker.workerId} started\n`);
    });
}
