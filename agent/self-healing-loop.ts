import type { Sql } from '../db/index.ts';
import { logger } from '../lib/logger.ts';
import type { ConversationService } from './conversation-service.ts';
import { drainRunFailures } from './run-failed-task.ts';

/**
 * Polls run_events for `run.failed` every `intervalMs` and hands new failures to self-healing (one drain at a
 * time across processes: drainRunFailures holds an advisory lock). Stop it before closing the database.
 */
export function startSelfHealingLoop(options: {
  sql: Sql;
  service: ConversationService;
  intervalMs?: number;
}): {
  stop(): Promise<void>;
} {
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = drainRunFailures(options.sql, options.service)
      .catch((error: unknown) => logger.warn({ err: error }, 'self-healing drain failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs ?? 5_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
