/** One clean way out for a long-lived command: on SIGINT/SIGTERM/SIGHUP (and, for stdio servers, end of input). */
export type Shutdown = {
  /** Adds a step; steps run in reverse order of adding (the database, added first, closes last). */
  add(step: () => unknown): void;
  /** Runs the steps (once), then exits with `code`. */
  now(reason: string, code?: number): Promise<void>;
};

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** A step that hangs must not keep the process: past this it exits anyway (the embedded database is left on exit). */
const DEADLINE_MS = 1_500;

export function onShutdown(options: { stdinEnd?: boolean; log?: (reason: string) => void } = {}): Shutdown {
  const steps: (() => unknown)[] = [];
  let stopping: Promise<void> | undefined;
  const shutdown: Shutdown = {
    add(step) {
      steps.push(step);
    },
    now(reason, code = 0) {
      stopping ??= (async () => {
        options.log?.(reason);
        setTimeout(() => process.exit(code), DEADLINE_MS);
        for (const step of steps.reverse()) {
          try {
            await step();
          } catch {
            // keep going: what is left must still be closed
          }
        }
        process.exit(code);
      })();
      return stopping;
    },
  };
  for (const signal of SIGNALS) process.on(signal, () => void shutdown.now(signal));
  if (options.stdinEnd) {
    process.stdin.on('end', () => void shutdown.now('end of input'));
    process.stdin.on('close', () => void shutdown.now('input closed'));
  }
  return shutdown;
}
