import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';
import { redactSecrets } from './redact.ts';

export type { Logger };

/**
 * The process logger. Every string that passes through it is scrubbed of known secrets
 * (registered with `registerSecret`) and of token shapes, so secrets never reach logs.
 */
export function createLogger(options: { level?: string; name?: string; format?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'vmesh',
      level: options.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
      // Errors are logged as name, code and message: never whole objects (a pg error can carry its client).
      serializers: { error: serializeError, err: serializeError },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => redactSecrets(arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destinationFor(options.format ?? process.env.LOG_FORMAT),
  );
}

/**
 * LOG_FORMAT: `json` (default; one JSON object per line, for log collectors) or `pretty` (for a terminal: pino-pretty
 * in this process, loaded only then). Anything else is refused, naming the two.
 */
function destinationFor(format: string | undefined): DestinationStream | undefined {
  const chosen = format?.trim().toLowerCase() || 'json';
  if (chosen === 'json') return undefined;
  if (chosen !== 'pretty') throw new Error(`LOG_FORMAT must be "json" or "pretty", not "${format}".`);
  const pretty = createRequire(import.meta.url)('pino-pretty') as (options: {
    colorize: boolean;
    translateTime: string;
    ignore: string;
    sync: boolean;
  }) => DestinationStream;
  return pretty({
    colorize: Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
}

/** What a log line keeps of an error: its kind, code and message (and those of its cause). */
export function serializeError(value: unknown): unknown {
  if (!(value instanceof Error) && (typeof value !== 'object' || value === null)) return value;
  const error = value as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  const out: Record<string, unknown> = {};
  if (typeof error.name === 'string') out.name = error.name;
  if (typeof error.code === 'string' || typeof error.code === 'number') out.code = error.code;
  if (typeof error.message === 'string') out.message = error.message;
  if (error.cause !== undefined && error.cause !== value) out.cause = serializeError(error.cause);
  return out;
}

export const logger: Logger = createLogger();
