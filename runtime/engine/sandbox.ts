import type { SandboxFiles } from './sandbox/file-host.ts';
import { createSandboxPool, type SandboxPool } from './sandbox/sandbox-pool.ts';

export { createSandboxFileHost, DEFAULT_CODE_FILE_CALLS, type SandboxFiles } from './sandbox/file-host.ts';

export type SandboxLimits = {
  /** Wall-clock budget for the whole call, including settling its promise; enforced by killing the process. */
  timeoutMs: number;
  /** QuickJS allocator limit; the process's WebAssembly heap is capped at this plus 32 MiB. */
  memoryBytes: number;
  /** QuickJS stack limit (default 256 KiB). */
  stackBytes?: number;
};

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { timeoutMs: 1_000, memoryBytes: 32 * 1024 * 1024 };

const MIB = 1024 * 1024;
/** One pool per memory cap: a process's WebAssembly memory maximum is fixed when it starts. */
const pools = new Map<number, SandboxPool>();

function poolFor(memoryBytes: number): SandboxPool {
  const wasmMaxBytes = memoryBytes + 32 * MIB;
  let pool = pools.get(wasmMaxBytes);
  if (!pool) {
    pool = createSandboxPool({
      wasmMaxBytes,
      size: Number(process.env.VMESH_SANDBOX_PROCESSES) || undefined,
    });
    pools.set(wasmMaxBytes, pool);
  }
  return pool;
}

/** Whether a core.code call with these limits would not wait behind other calls for a sandbox process. */
export function sandboxHasRoom(limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS): boolean {
  return poolFor(Math.max(MIB, Math.round(limits.memoryBytes))).hasRoom();
}

/** Every sandbox process is busy: the caller should give its job slot back and try again later. */
export class SandboxBusyError extends Error {
  constructor() {
    super('every core.code sandbox process is busy');
  }
}

/**
 * Runs `code` as the body of `async function (input) { … }` in QuickJS (WebAssembly) inside a pre-forked
 * child process: no require, import, process, timers, network or file system; JSON in, JSON out. Fails with
 * an AppError: E_CODE_TIMEOUT (endless loop, promise that never settles), E_CODE_MEMORY (memory bomb) or
 * E_CODE_ERROR (the code threw — message and line — or returned something that is not JSON). With `failWhenBusy`
 * it throws SandboxBusyError instead of waiting for a free process. With `files`, the code's `files.read` and
 * `files.write` reach the step's file store through the parent (the time limit covers them too).
 */
export async function runSandboxedCode(
  code: string,
  input: unknown,
  limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS,
  options: {
    failWhenBusy?: boolean;
    files?: SandboxFiles | undefined;
    /** Told the sandbox process's CPU time for the call (µs), when it answered. */
    onCpuTime?: ((micros: number) => void) | undefined;
  } = {},
): Promise<unknown> {
  const memoryBytes = Math.max(MIB, Math.round(limits.memoryBytes));
  const pool = poolFor(memoryBytes);
  // With failWhenBusy a call never queues behind others (the check and the call happen in one synchronous step).
  if (options.failWhenBusy && !pool.hasRoom()) throw new SandboxBusyError();
  return pool.run({
    code,
    input,
    timeoutMs: Math.max(1, Math.round(limits.timeoutMs)),
    memoryBytes,
    stackBytes: limits.stackBytes ?? 256 * 1024,
    files: options.files,
    onCpuTime: options.onCpuTime,
  });
}

/** Stops the sandbox processes (they are also unref'd while idle and exit when the parent does). */
export async function closeSandboxes(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close()));
}
