// The sandbox process: forked by sandbox-pool.ts with a capped V8 heap, Node's permission model (no fs
// writes, no child processes, no workers, no addons) and an empty environment. It runs each request in a
// fresh QuickJS runtime whose WebAssembly memory has a hard maximum, so strings and typed arrays cannot grow
// past it either. The parent enforces the wall-clock limit by killing this process; the interrupt handler
// here only makes the common case (an endless loop) cheaper by stopping it without a new fork.
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  RELEASE_SYNC,
} from 'quickjs-emscripten';
import { type FileBridge, installFiles } from './child-files.ts';
import type { SandboxFileResult, SandboxReply, SandboxRequest } from './protocol.ts';

const PAGE = 64 * 1024;
const wasmMaxBytes = Number(process.argv[2]) || 64 * 1024 * 1024;
const INITIAL_PAGES = 256;
/** Tests turn the in-process interrupt off to prove the parent's deadline alone stops the code. */
const interruptible = process.argv[3] !== 'no-interrupt';
const memory = new WebAssembly.Memory({
  initial: INITIAL_PAGES,
  maximum: Math.max(INITIAL_PAGES, Math.ceil(wasmMaxBytes / PAGE)),
});
const quickjs = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
/** Past this the process is replaced after the call: WebAssembly memory never shrinks. */
const recycleAboveBytes = INITIAL_PAGES * PAGE * 2;

type Failure = Extract<SandboxReply, { ok: false }>;

function send(reply: SandboxReply): void {
  process.send?.(reply);
}

const LOCATION = /core\.code\.js:(\d+)(?::(\d+))?/;

function failureFrom(
  context: QuickJSContext,
  handle: QuickJSHandle,
  id: number,
  state: { interrupted: boolean; nearCap: () => boolean },
): Failure {
  let dumped: unknown;
  try {
    dumped = context.dump(handle);
  } catch {
    dumped = undefined;
  }
  const record = dumped && typeof dumped === 'object' ? (dumped as Record<string, unknown>) : undefined;
  const name = typeof record?.name === 'string' ? record.name : '';
  const message =
    typeof record?.message === 'string' ? record.message : dumped === undefined ? '' : String(dumped);
  const stack = typeof record?.stack === 'string' ? record.stack : '';
  const where = LOCATION.exec(stack) ?? LOCATION.exec(message);
  // Line 1 of the compiled source is the function header: the person's line n is our line n + 1.
  const location =
    where?.[1] !== undefined
      ? { line: Math.max(1, Number(where[1]) - 1), ...(where[2] ? { column: Number(where[2]) } : {}) }
      : {};
  const base = { type: 'result' as const, id, ok: false as const, recycle: true };
  if (state.interrupted) return { ...base, kind: 'timeout', message: 'interrupted' };
  if (/out of memory|string too long|invalid array (buffer )?length/i.test(message) || state.nearCap()) {
    return { ...base, kind: 'memory', message: message || 'out of memory', ...location };
  }
  if (/stack overflow|call stack size/i.test(message))
    return { ...base, kind: 'stack', message, ...location };
  const text = name && name !== 'Error' ? `${name}: ${message}` : message || String(dumped);
  return { ...base, kind: 'error', message: text.slice(0, 2_000), recycle: false, ...location };
}

/** The `files` of the request being run: the parent's answers to its calls go there. */
let activeFiles: FileBridge | undefined;

async function runRequest(request: SandboxRequest): Promise<SandboxReply> {
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(request.memoryBytes);
  runtime.setMaxStackSize(request.stackBytes);
  const deadline = Date.now() + request.timeoutMs;
  const state = {
    interrupted: false,
    nearCap: () => memory.buffer.byteLength >= wasmMaxBytes - 4 * PAGE,
  };
  if (interruptible) {
    runtime.setInterruptHandler(() => {
      if (Date.now() > deadline) state.interrupted = true;
      return state.interrupted;
    });
  }
  const context = runtime.newContext();
  const id = request.id;
  const handles: QuickJSHandle[] = [];
  const keep = <T extends { error?: QuickJSHandle; value?: QuickJSHandle }>(result: T): T => {
    if (result.error) handles.push(result.error);
    if (result.value) handles.push(result.value);
    return result;
  };
  const hold = (handle: QuickJSHandle): QuickJSHandle => {
    handles.push(handle);
    return handle;
  };
  let bridge: FileBridge | undefined;
  try {
    bridge = installFiles(context, id, request.files, send);
    activeFiles = bridge;
    // Taken before the person's code runs, so replacing JSON.stringify inside the sandbox changes nothing here.
    const json = hold(context.getProp(context.global, 'JSON'));
    const stringify = hold(context.getProp(json, 'stringify'));
    const compiled = keep(context.evalCode(`(async function (input) {\n${request.code}\n})`, 'core.code.js'));
    if (compiled.error) return failureFrom(context, compiled.error, id, state);
    const parsedInput = keep(
      context.evalCode(`JSON.parse(${JSON.stringify(request.inputJson)})`, 'input.js'),
    );
    if (parsedInput.error) return failureFrom(context, parsedInput.error, id, state);
    const called = keep(context.callFunction(compiled.value, context.undefined, parsedInput.value));
    if (called.error) return failureFrom(context, called.error, id, state);
    const promise = called.value;
    for (;;) {
      const settled = context.getPromiseState(promise);
      if (settled.type === 'rejected') {
        const failure = failureFrom(context, hold(settled.error), id, state);
        const fileError = failure.kind === 'error' ? bridge.uncaught(failure.message) : undefined;
        return fileError ? { ...failure, fileError } : failure;
      }
      if (settled.type === 'fulfilled') {
        hold(settled.value);
        const text = keep(context.callFunction(stringify, context.undefined, settled.value));
        if (text.error) {
          const failure = failureFrom(context, text.error, id, state);
          if (failure.kind !== 'error') return failure;
          return { ...failure, kind: 'output', message: failure.message };
        }
        const kind = context.typeof(text.value);
        const isUndefined = context.typeof(settled.value) === 'undefined';
        if (kind !== 'string') {
          if (isUndefined) return { type: 'result', id, ok: true, outputJson: 'null', recycle: false };
          return {
            type: 'result',
            id,
            ok: false,
            kind: 'output',
            message: `the returned ${context.typeof(settled.value)} has no JSON form`,
            recycle: false,
          };
        }
        const outputJson = context.getString(text.value);
        return {
          type: 'result',
          id,
          ok: true,
          outputJson,
          recycle: memory.buffer.byteLength > recycleAboveBytes,
        };
      }
      const fatal = bridge.fatal();
      if (fatal) return failureFrom(context, fatal, id, state);
      if (!runtime.hasPendingJob() && bridge.outstanding() > 0) {
        // Waiting for the parent's file I/O: the call's time limit runs on meanwhile.
        const answered = await bridge.waitForAnswer(deadline - Date.now());
        if (!answered)
          return { type: 'result', id, ok: false, kind: 'timeout', message: 'files', recycle: false };
        continue;
      }
      if (!runtime.hasPendingJob()) {
        return {
          type: 'result',
          id,
          ok: false,
          kind: 'never-settles',
          message: 'the returned promise is still pending and nothing is left that could settle it',
          recycle: false,
        };
      }
      const jobs = runtime.executePendingJobs(256);
      if (jobs.error) return failureFrom(context, hold(jobs.error), id, state);
    }
  } finally {
    // Handles are freed with the runtime; a runtime that died mid-recursion may abort while freeing, and
    // the parent replaces this process when the reply says so.
    try {
      if (activeFiles === bridge) activeFiles = undefined;
      bridge?.dispose();
      for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
      context.dispose();
      runtime.dispose();
    } catch {
      // replaced by the parent (recycle)
    }
  }
}

function isFileResult(value: unknown): value is SandboxFileResult {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return v.type === 'file-result' && typeof v.id === 'number' && typeof v.callId === 'number';
}

function isRequest(value: unknown): value is SandboxRequest {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'number' &&
    typeof v.code === 'string' &&
    typeof v.inputJson === 'string' &&
    typeof v.memoryBytes === 'number' &&
    typeof v.stackBytes === 'number' &&
    typeof v.timeoutMs === 'number'
  );
}

/** This process's CPU time (user + system, µs) while it ran the request: it runs one request at a time. */
function withCpuTime(reply: SandboxReply, since: NodeJS.CpuUsage): SandboxReply {
  if (reply.type !== 'result') return reply;
  const used = process.cpuUsage(since);
  const total = process.cpuUsage();
  return { ...reply, cpuMicros: used.user + used.system, cpuTotalMicros: total.user + total.system };
}

async function replyTo(message: SandboxRequest): Promise<SandboxReply> {
  const since = process.cpuUsage();
  return withCpuTime(await runOrExplain(message), since);
}

async function runOrExplain(message: SandboxRequest): Promise<SandboxReply> {
  try {
    return await runRequest(message);
  } catch (error) {
    // The WebAssembly instance itself failed (abort on allocation failure, table overflow…).
    const text = error instanceof Error ? error.message : String(error);
    const memoryFailure = /memory|alloc/i.test(text) || memory.buffer.byteLength >= wasmMaxBytes - 4 * PAGE;
    return {
      type: 'result',
      id: message.id,
      ok: false,
      kind: memoryFailure ? 'memory' : /call stack size/i.test(text) ? 'stack' : 'error',
      message: text.slice(0, 2_000),
      recycle: true,
    };
  }
}

process.on('message', (message: unknown) => {
  if (isFileResult(message)) {
    activeFiles?.deliver(message);
    return;
  }
  if (!isRequest(message)) return;
  replyTo(message).then(send, (error: unknown) => {
    send({ type: 'result', id: message.id, ok: false, kind: 'error', message: String(error), recycle: true });
  });
});
process.on('disconnect', () => process.exit(0));
const startedCpu = process.cpuUsage();
send({ type: 'ready', cpuTotalMicros: startedCpu.user + startedCpu.system });
