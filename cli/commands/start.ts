import type { Command } from 'commander';
import { startApp } from '../../app/start.ts';
import { logger } from '../../lib/logger.ts';
import { survivePostgresRestarts } from '../../lib/process-guards.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Start VelocityMesh: HTTP server, worker and bots (embedded Postgres unless DATABASE_URL is set).',
    )
    .action(async () => {
      // Signals are handled from the first moment: one that arrives while the app is still starting stops it
      // cleanly once it is up (the app owns the embedded Postgres' shutdown, see startApp).
      survivePostgresRestarts(logger);
      let stopping = false;
      const starting = startApp();
      const shutdown = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        const app = await starting.catch(() => undefined);
        await app?.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void shutdown('SIGINT'));
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
      await starting;
    });
}
