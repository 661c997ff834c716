import {
  newQuickJSWASMModule,
  type QuickJSWASMModule,
  shouldInterruptAfterDeadline,
} from 'quickjs-emscripten';
import { AppError } from '../../lib/errors.ts';

export type SandboxLimits = {
  /** Wall-clock and CPU budget for the whole call, including settling its promise. */
  timeoutMs: number;
  memoryBytes: number;
};

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { timeoutMs: 1_000, memoryBytes: 32 * 1024 * 1024 };

let modulePromise: Promise<QuickJSWASMModule> | undefined;

function codeError(message: string, hint: string, cause?: unknown): AppError {
  return new AppError({ code: 'E_CODE', message, retryable: false, hint, cause });
}

/**
 * Runs `code` as the body of `async (input) => { … }` inside a fresh QuickJS (WebAssembly) runtime: no
 * require, no process, no network, no timers, no file system. Time is capped by an interrupt handler and
 * memory by the runtime's allocator limit; the input goes in and the result comes out as JSON text only.
 */
export async function runSandboxedCode(
  code: string,
  input: unknown,
  limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS,
): Promise<unknown> {
  modulePromise ??= newQuickJSWASMModule();
  const quickjs = await modulePromise;
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(200 * 1024);
  const deadline = Date.now() + limits.timeoutMs;
  const pastDeadline = shouldInterruptAfterDeadline(deadline);
  // Strings and typed-array buffers escape QuickJS's own allocator limit, so also watch the WASM heap.
  const memory = quickjs.getWasmMemory();
  const heapCeiling = memory.buffer.byteLength + limits.memoryBytes;
  let overMemory = false;
  runtime.setInterruptHandler((rt) => {
    if (memory.buffer.byteLength > heapCeiling) overMemory = true;
    return overMemory || pastDeadline(rt);
  });
  const context = runtime.newContext();
  try {
    const source = `(async (input) => {\n${code}\n})(JSON.parse(${JSON.stringify(JSON.stringify(input ?? null))}))
      .then((value) => JSON.stringify(value === undefined ? null : value))`;
    const evaluated = context.evalCode(source, 'core.code.js');
    if (evaluated.error) {
      const failure = context.dump(evaluated.error);
      evaluated.error.dispose();
      throw describeFailure(failure, deadline, overMemory, limits.timeoutMs);
    }
    const promise = evaluated.value;
    try {
      for (;;) {
        const state = context.getPromiseState(promise);
        if (state.type === 'fulfilled') {
          const text = context.getString(state.value);
          state.value.dispose();
          return JSON.parse(text);
        }
        if (state.type === 'rejected') {
          const failure = context.dump(state.error);
          state.error.dispose();
          throw describeFailure(failure, deadline, overMemory, limits.timeoutMs);
        }
        if (!runtime.hasPendingJob()) {
          throw codeError(
            'core.code: the returned promise never settles (it waits on something that cannot happen in the sandbox).',
            'The sandbox has no timers or I/O: compute the result and return it.',
          );
        }
        if (Date.now() > deadline) throw timeoutError(limits.timeoutMs);
        const jobs = runtime.executePendingJobs(64);
        if (jobs.error) {
          const failure = context.dump(jobs.error);
          jobs.error.dispose();
          throw describeFailure(failure, deadline, overMemory, limits.timeoutMs);
        }
      }
    } finally {
      promise.dispose();
    }
  } finally {
    try {
      context.dispose();
      runtime.dispose();
      // A heap that grew past the limit cannot shrink: drop this module and start the next call on a fresh one.
      if (overMemory) modulePromise = undefined;
    } catch {
      // QuickJS can abort while freeing a runtime that died mid-recursion; start from a fresh module next time.
      modulePromise = undefined;
    }
  }
}

function timeoutError(timeoutMs: number): AppError {
  return codeError(
    `core.code: the code ran longer than its ${timeoutMs} ms limit and was stopped (an endless loop?).`,
    'Make the code finish sooner: bound its loops, or move heavy work into a connector action.',
  );
}

function describeFailure(
  failure: unknown,
  deadline: number,
  overMemory: boolean,
  timeoutMs: number,
): AppError {
  const message =
    failure && typeof failure === 'object' && 'message' in failure
      ? String((failure as { message: unknown }).message)
      : String(failure);
  if (!overMemory && (/interrupted/i.test(message) || Date.now() > deadline)) {
    return timeoutError(timeoutMs);
  }
  if (overMemory || /out of memory|string too long|invalid array length/i.test(message)) {
    return codeError(
      'core.code: the code used more memory than the sandbox allows and was stopped.',
      'Work on smaller data, or avoid building large strings and arrays.',
    );
  }
  if (/stack overflow/i.test(message)) {
    return codeError(
      'core.code: stack overflow (unbounded recursion?).',
      'Bound the recursion or use a loop.',
    );
  }
  return codeError(
    `core.code threw: ${message}`,
    'Fix the code so it returns a JSON value without throwing.',
  );
}
