import { CommanderError } from 'commander';
import { createProgram } from './program.ts';
import { printErr } from './terminal-text.ts';

/** Commands that handle signals themselves (cli/shutdown.ts); the others exit on one, leaving the database cleanly. */
const LONG_RUNNING = new Set(['start', 'worker', 'mcp']);
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

if (!LONG_RUNNING.has(process.argv[2] ?? '')) {
  // Dying of a signal skips 'exit' handlers; exiting runs them (the embedded database is left, or stopped when
  // this was the last process using it).
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES))
    process.once(signal, () => process.exit(code));
}

const program = await createProgram(process.argv);
program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  printErr(`vmesh: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
