import { type Logger, pino } from 'pino';
import { redactSecrets } from './redact.ts';

export type { Logger };

/**
 * The process logger. Every string that passes through it is scrubbed of known secrets
 * (registered with `registerSecret`) and of token shapes, so secrets never reach logs.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'vmesh',
    level: options.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => redactSecrets(arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  });
}

export const logger: Logger = createLogger();
