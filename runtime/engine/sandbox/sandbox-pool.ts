import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, logger } from '../../../lib/index.ts';
import { codeFileStoreFailed, codeFilesUnavailable } from './file-call-errors.ts';
import { fileFailure, type SandboxFileHost, type SandboxFiles } from './file-host.ts';
import {
  type SandboxFileCall,
  type SandboxFileResult,
  SandboxReply,
  type SandboxRequest,
} from './protocol.ts';

export type SandboxCall = {
  code: string;
  input: unknown;
  timeoutMs: number;
  memoryBytes: number;
  stackBytes: number;
  /** The step's files (core.code's `files` API); without it `files.read`/`files.write` reject. */
  files?: SandboxFiles | undefined;
  /**
   * Told the CPU time (µs) the sandbox process spent on the call: when it answered (success or error), or when it
   * was killed at the deadline, from /proc (Linux; elsewhere that call's CPU time is unknown).
   */
  onCpuTime?: ((micros: number) => void) | undefined;
};

export type SandboxPoolOptions = {
  /** Pre-forked sandbox processes (default: 2, at most the CPU count). */
  size?: number;
  /** Hard cap of each process's WebAssembly heap, bytes. */
  wasmMaxBytes: number;
  /** Extra time after `timeoutMs` before the parent kills a process that did not stop itself. */
  killGraceMs?: number;
  /** Tests: no interrupt handler inside QuickJS, so only the parent's SIGKILL can stop the code. */
  parentDeadlineOnly?: boolean;
};

export type SandboxPool = {
  run(call: SandboxCall): Promise<unknown>;
  /**
   * Whether a call made now would start without waiting behind other calls: no call waits, and a started process
   * is free — or no process is busy at all (a cold pool: the call waits for a process to start, or fails).
   */
  hasRoom(): boolean;
  /** Processes forked so far (tests: a kill shows up as a replacement). */
  readonly forks: number;
  pids(): number[];
  close(): Promise<void>;
};

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = resolve(here, 'child.ts');
const ROOT = resolve(here, '../../..');
/**
 * Where the sandbox may read its modules: node_modules as named and, when it is a symlink (a shared install, a
 * workspace), the directory it points at, which is where Node's permission check looks.
 */
const MODULE_DIRS = (() => {
  const named = resolve(ROOT, 'node_modules');
  const real = existsSync(named) ? realpathSync(named) : named;
  return [...new Set([named, real])];
})();
const flags = process.allowedNodeEnvironmentFlags;
/** Node's permission model: stable as --permission since Node 22, experimental before. */
const permissionArgs = flags.has('--permission')
  ? ['--permission']
  : flags.has('--experimental-permission')
    ? ['--experimental-permission']
    : [];

function codeError(code: string, message: string, hint: string, details: Record<string, unknown> = {}) {
  return new AppError({ code, message, hint, retryable: false, details });
}

export function timeoutError(timeoutMs: number): AppError {
  return codeError(
    'E_CODE_TIMEOUT',
    `core.code ran longer than its ${timeoutMs} ms limit and was stopped (an endless loop, or a promise that never settles?).`,
    "Bound the code's loops and make sure its promise settles; raise the node's timeoutMs only if the work is genuinely long.",
    { timeoutMs },
  );
}

function memoryError(memoryBytes: number, detail?: string): AppError {
  return codeError(
    'E_CODE_MEMORY',
    `core.code used more than its ${Math.round(memoryBytes / 1024 / 1024)} MiB memory limit and was stopped${detail ? ` (${detail})` : ''}.`,
    'Work on smaller data: avoid building large strings, arrays or typed arrays.',
    { memoryBytes },
  );
}

function failureError(reply: Extract<SandboxReply, { ok: false }>, call: SandboxCall): AppError {
  const at =
    reply.line !== undefined ? ` (line ${reply.line}${reply.column ? `, column ${reply.column}` : ''})` : '';
  const details = reply.line !== undefined ? { line: reply.line, column: reply.column } : {};
  switch (reply.kind) {
    case 'timeout':
      return timeoutError(call.timeoutMs);
    case 'memory':
      return memoryError(call.memoryBytes, reply.message);
    case 'never-settles':
      return codeError(
        'E_CODE_TIMEOUT',
        `core.code returned a promise that can never settle: ${reply.message}.`,
        'The sandbox has no timers, network or file access: compute the result and return it.',
      );
    case 'stack':
      return codeError(
        'E_CODE_ERROR',
        `core.code overflowed its stack${at} (unbounded recursion?).`,
        'Bound the recursion or rewrite it as a loop.',
        details,
      );
    case 'output':
      return codeError(
        'E_CODE_ERROR',
        `core.code returned a value that is not JSON: ${reply.message}.`,
        'Return plain data (objects, arrays, strings, numbers, booleans, null): no functions, BigInts, symbols or cycles.',
      );
    case 'error':
      return codeError(
        'E_CODE_ERROR',
        `core.code threw${at}: ${reply.message}`,
        'Fix the code so it returns a JSON value without throwing.',
        details,
      );
  }
}

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** A process's CPU time (user + system, µs) from /proc, or undefined where there is none (not Linux, gone). */
function procCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A process about to be killed at its deadline cannot say what the call cost: its CPU time since it last answered,
 * read from /proc (10 ms resolution), is the call's. Unknown elsewhere.
 */
function reportCpuOfKilled(
  slot: { child: ChildProcess; cpuTotalMicros: number | undefined },
  call: SandboxCall,
): void {
  const now = procCpuMicros(slot.child.pid);
  if (now === undefined || slot.cpuTotalMicros === undefined) return;
  call.onCpuTime?.(Math.max(0, now - slot.cpuTotalMicros));
}

/** Output from the sandbox is parsed as JSON with `__proto__` keys dropped, so it cannot touch a prototype later. */
function parseOutput(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
}

type Pending = {
  request: SandboxRequest;
  call: SandboxCall;
  resolve(value: unknown): void;
  reject(error: unknown): void;
};

type Busy = {
  pending: Pending;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
  /** Stops the call's file I/O when the call ends (any way). */
  abort: AbortController;
  host: SandboxFileHost | undefined;
};

type Slot = {
  child: ChildProcess;
  ready: Promise<void>;
  busy?: Busy;
  stderr: string;
  /** The process's CPU time (µs) when it last answered: what a call it is killed in spent is measured from here. */
  cpuTotalMicros: number | undefined;
  dead: boolean;
  started: boolean;
};

/**
 * A few pre-forked sandbox processes (see child.ts). Calls wait for a free process; the deadline starts when
 * one takes the call. The parent's timer is the hard limit: past it the process gets SIGKILL and a
 * replacement is forked, so nothing the code does can hold a worker's event loop or memory.
 */
export function createSandboxPool(options: SandboxPoolOptions): SandboxPool {
  const size = Math.max(1, options.size ?? Math.min(2, availableParallelism()));
  const killGraceMs = options.killGraceMs ?? 100;
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 1;
  let forks = 0;
  let closed = false;
  const heapMb = Math.ceil((options.wasmMaxBytes * 3) / 1024 / 1024) + 48;

  function spawnSlot(): Slot {
    forks += 1;
    // Older Node has no type stripping: tsx's loader compiles child.ts, and it needs worker threads and reads
    // all over the tree, so there the permission layer is left off (QuickJS remains the isolation boundary).
    const native = Boolean(process.features.typescript);
    const childArgs = [
      String(options.wasmMaxBytes),
      options.parentDeadlineOnly ? 'no-interrupt' : 'interrupt',
    ];
    const child = fork(CHILD, childArgs, {
      execArgv: [
        ...(native ? [] : ['--import', 'tsx']),
        `--max-old-space-size=${heapMb}`,
        '--max-semi-space-size=4',
        // Only the sandbox's own code and its modules: not the repository's data dir (keys) or anything else.
        ...(native
          ? [
              ...permissionArgs,
              `--allow-fs-read=${here}/*`,
              ...MODULE_DIRS.map((dir) => `--allow-fs-read=${dir}/*`),
            ]
          : []),
        '--disable-warning=ExperimentalWarning',
      ],
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const slot: Slot = {
      child,
      ready: Promise.resolve(),
      stderr: '',
      cpuTotalMicros: undefined,
      dead: false,
      started: false,
    };
    child.stderr?.on('data', (chunk: Buffer) => {
      slot.stderr = (slot.stderr + chunk.toString('utf8')).slice(-2_000);
    });
    slot.ready = new Promise<void>((resolveReady, rejectReady) => {
      const onMessage = (message: unknown) => {
        const parsed = SandboxReply.safeParse(message);
        if (!parsed.success) {
          logger.warn('sandbox process sent a message that is not part of the protocol; replacing it');
          replace(slot);
          return;
        }
        const reply = parsed.data;
        if (reply.type === 'ready') {
          slot.started = true;
          slot.cpuTotalMicros = reply.cpuTotalMicros;
          resolveReady();
          pump();
          return;
        }
        if (reply.type === 'file') {
          fileCall(slot, reply);
          return;
        }
        settle(slot, reply);
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        slot.dead = true;
        rejectReady(
          new AppError({
            code: 'E_CODE_SANDBOX',
            message: `The core.code sandbox process exited before it was ready (code ${code}, signal ${signal}): ${slot.stderr.trim().slice(-500)}`,
            retryable: true,
            hint: 'Check that Node.js ≥ 22.18 runs the worker and that node_modules holds quickjs-emscripten.',
          }),
        );
        onExit(slot, code, signal);
      });
    });
    slot.ready.catch(() => {});
    idle(slot);
    return slot;
  }

  /** An idle sandbox must not keep a CLI or test process alive. */
  function idle(slot: Slot): void {
    slot.child.unref();
    slot.child.channel?.unref();
    (slot.child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  function busy(slot: Slot): void {
    slot.child.ref();
    slot.child.channel?.ref();
  }

  function replace(slot: Slot): void {
    const index = slots.indexOf(slot);
    if (!slot.dead) {
      slot.dead = true;
      slot.child.kill('SIGKILL');
    }
    if (index >= 0) slots.splice(index, 1);
    if (!closed) slots.push(spawnSlot());
  }

  function finish(slot: Slot, outcome: { value: unknown } | { error: unknown }): void {
    const current = slot.busy;
    if (!current || current.done) return;
    current.done = true;
    clearTimeout(current.timer);
    current.abort.abort();
    slot.busy = undefined;
    if ('error' in outcome) current.pending.reject(outcome.error);
    else current.pending.resolve(outcome.value);
    if (!slot.dead) idle(slot);
  }

  function settle(slot: Slot, reply: Extract<SandboxReply, { type: 'result' }>): void {
    const current = slot.busy;
    if (!current || current.pending.request.id !== reply.id) return;
    if (reply.cpuMicros !== undefined) current.pending.call.onCpuTime?.(reply.cpuMicros);
    slot.cpuTotalMicros = reply.cpuTotalMicros;
    if (reply.ok) {
      let value: unknown;
      try {
        value = parseOutput(reply.outputJson);
      } catch (error) {
        finish(slot, {
          error: failureError(
            { ...reply, ok: false, kind: 'output', message: String(error) },
            current.pending.call,
          ),
        });
        replace(slot);
        pump();
        return;
      }
      finish(slot, { value });
    } else {
      finish(slot, {
        error:
          reply.kind === 'error' && reply.fileError
            ? fileFailure(reply.fileError, reply)
            : failureError(reply, current.pending.call),
      });
    }
    if (reply.recycle) replace(slot);
    pump();
  }

  /** The code called files.read/files.write: the parent does the I/O and answers, if the call is still on. */
  function fileCall(slot: Slot, call: SandboxFileCall): void {
    const current = slot.busy;
    if (!current || current.done || current.pending.request.id !== call.id) return;
    const answer = (result: SandboxFileResult) => {
      if (slot.busy !== current || current.done || slot.dead) return;
      try {
        slot.child.send(result);
      } catch {
        // The channel closed: the exit handler settles the call.
      }
    };
    const base = { type: 'file-result' as const, id: call.id, callId: call.callId };
    const host = current.host;
    if (!host) {
      answer({ ...base, ok: false, error: codeFilesUnavailable() });
      return;
    }
    host.handle(call).then(
      (result) => answer({ ...base, ...result }),
      (error: unknown) => {
        // The store failed (database, bucket): logged here, and only a plain message reaches the code.
        logger.warn({ err: error, op: call.op }, 'core.code file call failed in the file store');
        answer({ ...base, ok: false, error: codeFileStoreFailed() });
      },
    );
  }

  function onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const current = slot.busy;
    if (current && !current.done) {
      const call = current.pending.call;
      // V8 aborts (SIGABRT / 134) or the kernel kills (SIGKILL we did not send) when the heap cap is hit.
      const memory =
        signal === 'SIGABRT' || code === 134 || /heap out of memory|allocation failed/i.test(slot.stderr);
      finish(slot, {
        error: memory
          ? memoryError(call.memoryBytes, 'the sandbox process ran out of heap')
          : codeError(
              'E_CODE_ERROR',
              `The core.code sandbox process stopped unexpectedly (code ${code}, signal ${signal})${slot.started ? '' : `: ${slot.stderr.trim().slice(-300)}`}.`,
              'Simplify the code; if it keeps happening, report it with the code that triggers it.',
            ),
      });
    }
    const index = slots.indexOf(slot);
    if (index >= 0) slots.splice(index, 1);
    // A process that never got ready is not replaced at once (no fork loop when Node cannot start it).
    if (slot.started && !closed) slots.push(spawnSlot());
    pump();
  }

  function pump(): void {
    while (!closed && queue.length > 0 && slots.length < size) slots.push(spawnSlot());
    while (queue.length > 0) {
      const slot = slots.find((candidate) => !candidate.busy && !candidate.dead);
      if (!slot) return;
      const pending = queue.shift();
      if (!pending) return;
      start(slot, pending);
    }
  }

  function start(slot: Slot, pending: Pending): void {
    busy(slot);
    const abort = new AbortController();
    const current: Busy = {
      pending,
      timer: undefined,
      done: false,
      abort,
      host: pending.call.files?.open(abort.signal),
    };
    slot.busy = current;
    slot.ready.then(
      () => {
        if (current.done || slot.dead) return;
        // The deadline starts when the process takes the call. It is the hard limit: whatever the code is
        // doing, the process is killed and replaced.
        current.timer = setTimeout(() => {
          reportCpuOfKilled(slot, pending.call);
          finish(slot, { error: timeoutError(pending.call.timeoutMs) });
          replace(slot);
          pump();
        }, pending.call.timeoutMs + killGraceMs);
        slot.child.send(pending.request);
      },
      (error: unknown) => {
        finish(slot, { error });
      },
    );
  }

  for (let i = 0; i < size; i++) slots.push(spawnSlot());

  return {
    get forks() {
      return forks;
    },
    pids: () => slots.flatMap((slot) => (slot.child.pid ? [slot.child.pid] : [])),
    // While others run, a replacement still starting is no room (a call would wait for it). With none busy a call
    // goes ahead, so a pool that cannot start processes fails its calls (E_CODE_SANDBOX) instead of having them
    // put back in the queue for good.
    hasRoom: () =>
      !closed &&
      queue.length === 0 &&
      (slots.some((slot) => slot.started && !slot.busy && !slot.dead) || !slots.some((slot) => slot.busy)),
    run(call) {
      if (closed) return Promise.reject(new Error('the sandbox pool is closed'));
      let inputJson: string | undefined;
      try {
        inputJson = JSON.stringify(call.input ?? null);
      } catch (error) {
        return Promise.reject(
          codeError(
            'E_CODE_ERROR',
            `core.code input is not JSON: ${String(error)}.`,
            'Pass plain data as input.',
          ),
        );
      }
      return new Promise<unknown>((resolvePromise, rejectPromise) => {
        queue.push({
          call,
          request: {
            id: nextId++,
            code: call.code,
            inputJson: inputJson ?? 'null',
            memoryBytes: call.memoryBytes,
            stackBytes: call.stackBytes,
            timeoutMs: call.timeoutMs,
            files: call.files?.limits,
          },
          resolve: resolvePromise,
          reject: rejectPromise,
        });
        pump();
      });
    },
    async close() {
      closed = true;
      const exits = slots.map(
        (slot) =>
          new Promise<void>((resolveExit) => {
            if (slot.dead || slot.child.exitCode !== null || slot.child.signalCode !== null) resolveExit();
            else slot.child.once('exit', () => resolveExit());
          }),
      );
      for (const slot of slots) {
        slot.dead = true;
        slot.child.ref();
        slot.child.kill('SIGKILL');
      }
      for (const pending of queue.splice(0)) pending.reject(new Error('the sandbox pool was closed'));
      await Promise.all(exits);
      slots.length = 0;
    },
  };
}
