import { CommanderError } from 'commander';
import { createProgram } from './program.ts';

const program = await createProgram(process.argv);
program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`vmesh: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
