import type { Logger } from './logger.ts';

const LOST_CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']);
const LOST_CONNECTION_MESSAGES = [/connection terminated/i, /terminating connection/i, /connection.*closed/i];

/** Whether an error means "the database connection went away" (restart, failover, network), not a bug. */
export function isLostDatabaseConnection(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (typeof current !== 'object') break;
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (LOST_CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && LOST_CONNECTION_MESSAGES.some((pattern) => pattern.test(message)))
      return true;
    current = cause;
  }
  return false;
}

/**
 * A database restart makes libraries reject promises nobody awaits (graphile-worker's local queue returning
 * jobs, for one). Those are survivable — the worker rebuilds its pool and the lease sweeper frees its jobs — so
 * the process logs them and keeps running. Any other unhandled rejection is a bug: log it and exit non-zero.
 */
export function survivePostgresRestarts(logger: Logger, exit: (code: number) => void = process.exit): void {
  process.on('unhandledRejection', (reason) => {
    if (isLostDatabaseConnection(reason)) {
      logger.warn(
        { err: reason },
        'database connection lost in the background; continuing (pools reconnect)',
      );
      return;
    }
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    exit(1);
  });
}
