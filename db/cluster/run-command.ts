import { spawn } from 'node:child_process';

export type RunAs = { uid: number; gid: number } | undefined;

export type CommandResult = { code: number | null; signal: NodeJS.Signals | null; output: string };

/** Runs a program (optionally as another OS user) and collects what it prints, never through a shell. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: { runAs?: RunAs; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...(options.runAs ?? {}),
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < 64_000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output: output.trim() }));
  });
}
