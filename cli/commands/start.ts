import type { Command } from 'commander';
import { startApp } from '../../app/index.ts';
import { logger, survivePostgresRestarts } from '../../lib/index.ts';
import { onShutdown } from '../shutdown.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Start VelocityMesh: HTTP server, worker and bots (embedded Postgres unless DATABASE_URL is set).',
    )
    .action(async () => {
      // Signals are handled from the first moment: one that arrives while the app is still starting stops it
      // cleanly once it is up (the app leaves the embedded Postgres last, see startApp).
      survivePostgresRestarts(logger);
      const shutdown = onShutdown({ log: (reason) => logger.info({ signal: reason }, 'shutting down') });
      const starting = startApp();
      shutdown.add(async () => (await starting.catch(() => undefined))?.stop());
      await starting;
    });
}
