import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExpressionError } from './expression-core.ts';
import { ExpressionReply, type ExpressionRequest } from './expression-protocol.ts';

export type ExpressionCall = {
  value: unknown;
  scope: unknown;
  timeoutMs: number;
  /** The expressions in `value` in evaluation order (scanTemplates), to name the one that overran. */
  expressions: { pointer: string; source: string }[];
};

export type ExpressionPoolOptions = {
  /** Pre-forked expression processes (default: 2, at most the CPU count). */
  size?: number;
  /** Extra time after an expression's limit before its process is killed (JSONata stops most loops itself). */
  killGraceMs?: number;
  /** V8 heap cap of each process, MiB. */
  heapMb?: number;
};

export type ExpressionPool = {
  evaluate(call: ExpressionCall): Promise<unknown>;
  /** Processes forked so far (tests: a kill shows up as a replacement). */
  readonly forks: number;
  close(): Promise<void>;
};

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = resolve(here, 'expression-child.ts');
const ROOT = resolve(here, '../..');
/** What the process may read: its own folder, lib/ (errors) and node_modules (jsonata, zod), as named and real. */
const READABLE = (() => {
  const named = resolve(ROOT, 'node_modules');
  const real = existsSync(named) ? realpathSync(named) : named;
  return [...new Set([here, resolve(ROOT, 'lib'), named, real])];
})();
const flags = process.allowedNodeEnvironmentFlags;
const permissionArgs = flags.has('--permission')
  ? ['--permission']
  : flags.has('--experimental-permission')
    ? ['--experimental-permission']
    : [];

function stopped(timeoutMs: number, where: { pointer: string; source: string } | undefined): ExpressionError {
  const which = where ? `the expression {{${where.source}}} at "${where.pointer || '/'}"` : 'an expression';
  return new ExpressionError({
    code: 'EXPRESSION_FAILED',
    message: `${which} ran longer than its ${timeoutMs} ms limit and was stopped`,
    hint: `Expressions must finish within ${timeoutMs} ms: avoid regexes with nested repetition such as /(a+)+$/ and huge ranges; move heavy work into a core.code node.`,
    details: { ...(where ?? {}), timeoutMs },
  });
}

function crashed(
  where: { pointer: string; source: string } | undefined,
  exit: { code: number | null; signal: NodeJS.Signals | null },
  stderr: string,
): ExpressionError {
  const memory =
    exit.signal === 'SIGABRT' || exit.code === 134 || /heap out of memory|allocation failed/i.test(stderr);
  const which = where ? `the expression {{${where.source}}} at "${where.pointer || '/'}"` : 'an expression';
  return new ExpressionError({
    code: 'EXPRESSION_FAILED',
    message: memory
      ? `${which} used more memory than expressions may and was stopped`
      : `${which} stopped its evaluator unexpectedly (code ${exit.code}, signal ${exit.signal})`,
    hint: 'Build smaller values: avoid huge strings ($pad, repeated concatenation) and huge ranges.',
    details: { ...(where ?? {}) },
  });
}

type Pending = {
  request: ExpressionRequest;
  expressions: ExpressionCall['expressions'];
  resolve(value: unknown): void;
  reject(error: unknown): void;
};

type Slot = {
  child: ChildProcess;
  started: boolean;
  dead: boolean;
  stderr: string;
  busy?: {
    pending: Pending;
    timer: NodeJS.Timeout | undefined;
    current: { pointer: string; source: string } | undefined;
  };
};

/**
 * A few pre-forked processes that evaluate workflow expressions (see expression-child.ts). A call waits for a free
 * process; the deadline is per expression and starts when the process begins it. Past the deadline the process is
 * killed and replaced, so no expression can hold the caller's event loop or memory.
 */
export function createExpressionPool(options: ExpressionPoolOptions = {}): ExpressionPool {
  const size = Math.max(1, options.size ?? Math.min(2, availableParallelism()));
  const killGraceMs = options.killGraceMs ?? 150;
  const heapMb = options.heapMb ?? 256;
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 1;
  let forks = 0;
  let closed = false;

  function spawnSlot(): Slot {
    forks += 1;
    const native = Boolean(process.features.typescript);
    const child = fork(CHILD, [], {
      execArgv: [
        ...(native ? [] : ['--import', 'tsx']),
        `--max-old-space-size=${heapMb}`,
        '--max-semi-space-size=8',
        ...(native ? [...permissionArgs, ...READABLE.map((dir) => `--allow-fs-read=${dir}/*`)] : []),
        '--disable-warning=ExperimentalWarning',
      ],
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const slot: Slot = { child, started: false, dead: false, stderr: '' };
    child.stderr?.on('data', (chunk: Buffer) => {
      slot.stderr = (slot.stderr + chunk.toString('utf8')).slice(-2_000);
    });
    child.on('message', (message: unknown) => onMessage(slot, message));
    child.once('exit', (code, signal) => onExit(slot, { code, signal }));
    // Referenced until ready: a call waits for it. An idle process is unreferenced once it is ready.
    return slot;
  }

  /** An idle process must not keep a CLI or test process alive. */
  function setIdle(slot: Slot): void {
    slot.child.unref();
    slot.child.channel?.unref();
    (slot.child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  function setBusy(slot: Slot): void {
    slot.child.ref();
    slot.child.channel?.ref();
  }

  function armDeadline(slot: Slot): void {
    const busy = slot.busy;
    if (!busy) return;
    clearTimeout(busy.timer);
    const { timeoutMs } = busy.pending.request;
    busy.timer = setTimeout(() => {
      const current = busy.current;
      finish(slot, { error: stopped(timeoutMs, current) });
      replace(slot);
    }, timeoutMs + killGraceMs);
  }

  function onMessage(slot: Slot, message: unknown): void {
    const parsed = ExpressionReply.safeParse(message);
    if (!parsed.success) {
      finish(slot, {
        error: new ExpressionError({
          code: 'EXPRESSION_FAILED',
          message: 'the expression evaluator answered outside its protocol',
          hint: 'Simplify the expression; if it keeps happening, report it with the expression.',
        }),
      });
      replace(slot);
      return;
    }
    const reply = parsed.data;
    if (reply.type === 'ready') {
      slot.started = true;
      pump();
      if (!slot.busy) setIdle(slot);
      return;
    }
    const busy = slot.busy;
    if (!busy || busy.pending.request.id !== reply.id) return;
    if (reply.type === 'expression') {
      busy.current = busy.pending.expressions[reply.index];
      armDeadline(slot);
      return;
    }
    if (reply.ok) finish(slot, { value: reply.defined ? reply.value : undefined });
    else {
      finish(slot, {
        error: new ExpressionError({
          code: reply.code,
          message: reply.message,
          ...(reply.hint ? { hint: reply.hint } : {}),
          details: reply.details,
        }),
      });
    }
    pump();
  }

  function onExit(slot: Slot, exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    const wasStarted = slot.started;
    slot.dead = true;
    if (slot.busy) finish(slot, { error: crashed(slot.busy.current, exit, slot.stderr) });
    const index = slots.indexOf(slot);
    if (index >= 0) slots.splice(index, 1);
    if (!wasStarted && !closed) {
      // A process that never got ready is not replaced in a loop: the queued calls fail with what it said.
      for (const pending of queue.splice(0)) {
        pending.reject(
          new ExpressionError({
            code: 'EXPRESSION_FAILED',
            message: `the expression evaluator could not start (code ${exit.code}, signal ${exit.signal}): ${slot.stderr.trim().slice(-300)}`,
            retryable: true,
            hint: 'Check that Node.js >= 22.18 runs VelocityMesh and that node_modules holds jsonata.',
          }),
        );
      }
      return;
    }
    pump();
  }

  function finish(slot: Slot, outcome: { value: unknown } | { error: unknown }): void {
    const busy = slot.busy;
    if (!busy) return;
    clearTimeout(busy.timer);
    slot.busy = undefined;
    if (!slot.dead) setIdle(slot);
    if ('error' in outcome) busy.pending.reject(outcome.error);
    else busy.pending.resolve(outcome.value);
  }

  function replace(slot: Slot): void {
    if (!slot.dead) {
      slot.dead = true;
      slot.child.kill('SIGKILL');
    }
    const index = slots.indexOf(slot);
    if (index >= 0) slots.splice(index, 1);
    pump();
  }

  function pump(): void {
    while (!closed && queue.length > 0 && slots.filter((slot) => !slot.dead).length < size) {
      slots.push(spawnSlot());
    }
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.busy || slot.dead || !slot.started) continue;
      const pending = queue.shift();
      if (!pending) return;
      setBusy(slot);
      slot.busy = { pending, timer: undefined, current: pending.expressions[0] };
      armDeadline(slot);
      slot.child.send(pending.request);
    }
  }

  return {
    get forks() {
      return forks;
    },
    evaluate(call) {
      if (closed) return Promise.reject(new Error('the expression pool is closed'));
      return new Promise<unknown>((resolvePromise, rejectPromise) => {
        queue.push({
          request: { id: nextId++, value: call.value, scope: call.scope, timeoutMs: call.timeoutMs },
          expressions: call.expressions,
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
            if (slot.child.exitCode !== null || slot.child.signalCode !== null) resolveExit();
            else slot.child.once('exit', () => resolveExit());
          }),
      );
      for (const slot of slots) {
        slot.dead = true;
        slot.child.kill('SIGKILL');
      }
      for (const pending of queue.splice(0)) pending.reject(new Error('the expression pool was closed'));
      await Promise.all(exits);
      slots.length = 0;
    },
  };
}
