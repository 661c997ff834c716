import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./restart-worker.ts', import.meta.url));

export type RestartWorkerChild = {
  child: ChildProcess;
  workerId: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the worker logged at warn level and above (pino JSON lines) and wrote to stderr, last 400 lines. */
  output(): string[];
};

/**
 * Spawns restart-worker.ts as a child process and waits until it takes jobs. Unlike spawnWorker it keeps the
 * worker's warnings and errors (LOG_LEVEL=warn), so a test can say what a worker met. Signal only `child.pid`.
 * `entry` is another worker program speaking the same protocol ("ready <workerId>", SIGTERM).
 */
export async function spawnRestartWorker(
  env: Record<string, string>,
  entry: string = ENTRY,
): Promise<RestartWorkerChild> {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines: string[] = [];
  const keep = (stream: string) => (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() && !line.startsWith('ready ')) lines.push(`${stream}: ${line}`);
    }
    lines.splice(0, Math.max(0, lines.length - 400));
  };
  child.stderr?.on('data', keep('stderr'));
  const workerId = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`the worker exited before it was ready (${code ?? signal}): ${lines.join('\n')}`)),
    );
  });
  child.stdout?.on('data', keep('stdout'));
  return { child, workerId, exited, output: () => [...lines] };
}
