import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilePort, FileRef } from '../../connectors/index.ts';
import { AppError } from '../../lib/errors.ts';
import { createSandboxPool, type SandboxPool } from './sandbox/sandbox-pool.ts';
import { closeSandboxes, createSandboxFileHost, runSandboxedCode, type SandboxFiles } from './sandbox.ts';

const MIB = 1024 * 1024;
const CANARY_ENV = 'VMESH_SANDBOX_CANARY';
const canaryValue = `env-canary-${process.pid}-7f3a`;
const fileCanary = `file-canary-${process.pid}-91bc`;
let dir: string;
let canaryFile: string;
let marker: string;
let server: Server;
let port: number;
let connections = 0;

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    const value = await promise;
    throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return error;
  }
}

beforeAll(async () => {
  process.env[CANARY_ENV] = canaryValue;
  dir = mkdtempSync(join(tmpdir(), 'vmesh-sandbox-'));
  canaryFile = join(dir, 'canary.txt');
  marker = join(dir, 'spawned');
  writeFileSync(canaryFile, fileCanary);
  server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  delete process.env[CANARY_ENV];
  await closeSandboxes();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('runSandboxedCode', () => {
  it('runs the body of an async function of `input`, JSON in and out', async () => {
    expect(await runSandboxedCode('return input.a + 1', { a: 41 })).toBe(42);
    expect(
      await runSandboxedCode(
        'const xs = await Promise.all(input.map(async (x) => x * 2)); return { xs }',
        [1, 2],
      ),
    ).toEqual({ xs: [2, 4] });
    expect(await runSandboxedCode('return undefined', null)).toBeNull();
    const calls = await Promise.all(
      Array.from({ length: 6 }, (_, i) => runSandboxedCode('return input * input', i)),
    );
    expect(calls).toEqual([0, 1, 4, 9, 16, 25]);
  });

  it('reports a thrown error with its message and line; syntax errors too', async () => {
    const thrown = await failure(
      runSandboxedCode('const a = 1;\nconst b = 2;\nthrow new TypeError("bad " + a);', {}),
    );
    expect(thrown.code).toBe('E_CODE_ERROR');
    expect(thrown.message).toContain('TypeError: bad 1');
    expect(thrown.details.line).toBe(3);
    expect(thrown.retryable).toBe(false);
    const syntax = await failure(runSandboxedCode('return (1 +;', {}));
    expect(syntax.code).toBe('E_CODE_ERROR');
    expect(syntax.message).toContain('SyntaxError');
    expect(syntax.details.line).toBe(1);
  });

  it('rejects output that is not JSON and drops __proto__ keys from what it returns', async () => {
    expect((await failure(runSandboxedCode('return () => 1', {}))).message).toContain('not JSON');
    expect((await failure(runSandboxedCode('return 10n', {}))).code).toBe('E_CODE_ERROR');
    expect((await failure(runSandboxedCode('const a = {}; a.self = a; return a', {}))).message).toContain(
      'not JSON',
    );
    const output = await runSandboxedCode(
      'Object.prototype.polluted = "yes"; return JSON.parse(\'{"__proto__": {"polluted": "yes"}, "a": {"__proto__": {"isAdmin": true}}}\')',
      {},
    );
    expect(output).toEqual({ a: {} });
    const merged = Object.assign({}, output as object, (output as { a: object }).a);
    expect((merged as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('stops an endless loop with E_CODE_TIMEOUT while the worker event loop keeps ticking', async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 20);
    try {
      const error = await failure(
        runSandboxedCode('while (true) {}', {}, { timeoutMs: 600, memoryBytes: 32 * MIB }),
      );
      expect(error.code).toBe('E_CODE_TIMEOUT');
      expect(error.message).toContain('600 ms');
    } finally {
      clearInterval(timer);
    }
    // The loop ran in another process: the parent's timers fired throughout (600 ms / 20 ms ≈ 30 ticks).
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('fails promises that never settle, and microtask loops, with E_CODE_TIMEOUT', async () => {
    const stuck = await failure(runSandboxedCode('await new Promise(() => {}); return 1', {}));
    expect(stuck.code).toBe('E_CODE_TIMEOUT');
    expect(stuck.message).toContain('never settle');
    const spinning = await failure(
      runSandboxedCode(
        'await new Promise(function spin() { Promise.resolve().then(spin) })',
        {},
        {
          timeoutMs: 400,
          memoryBytes: 32 * MIB,
        },
      ),
    );
    expect(spinning.code).toBe('E_CODE_TIMEOUT');
  });

  it('stops memory bombs (typed arrays, strings) with E_CODE_MEMORY', async () => {
    const limits = { timeoutMs: 15_000, memoryBytes: 8 * MIB };
    const typed = await failure(
      runSandboxedCode('const keep = []; for (;;) keep.push(new Uint8Array(4 * 1024 * 1024))', {}, limits),
    );
    expect(typed.code).toBe('E_CODE_MEMORY');
    const huge = await failure(
      runSandboxedCode('return new ArrayBuffer(2 ** 31 - 1).byteLength', {}, limits),
    );
    expect(huge.code).toBe('E_CODE_MEMORY');
    const doubling = await failure(runSandboxedCode('let s = "x"; for (;;) s = s + s', {}, limits));
    expect(doubling.code).toBe('E_CODE_MEMORY');
    // The sandbox still works afterwards (the bloated process was replaced).
    expect(await runSandboxedCode('return "alive"', {})).toBe('alive');
  });

  it('turns unbounded recursion into E_CODE_ERROR (stack overflow)', async () => {
    const error = await failure(runSandboxedCode('function f() { return f() + 1 }\nreturn f()', {}));
    expect(error.code).toBe('E_CODE_ERROR');
    expect(error.message).toContain('stack');
  });
});

describe('sandbox pool', () => {
  let pool: SandboxPool;
  beforeAll(() => {
    pool = createSandboxPool({ size: 1, wasmMaxBytes: 48 * MIB, parentDeadlineOnly: true });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('the parent alone enforces the deadline: SIGKILL and a fresh process (no interrupt handler inside)', async () => {
    expect(
      await pool.run({
        code: 'return 1',
        input: null,
        timeoutMs: 1_000,
        memoryBytes: 16 * MIB,
        stackBytes: 256 * 1024,
      }),
    ).toBe(1);
    const [before] = pool.pids();
    const error = await failure(
      pool.run({
        code: 'for (;;) {}',
        input: null,
        timeoutMs: 300,
        memoryBytes: 16 * MIB,
        stackBytes: 256 * 1024,
      }),
    );
    expect(error.code).toBe('E_CODE_TIMEOUT');
    expect(pool.forks).toBe(2);
    expect(pool.pids()[0]).not.toBe(before);
    // Defence in depth below QuickJS: the process runs under Node's permission model with an empty environment.
    const pid = pool.pids()[0];
    if (pid && existsSync(`/proc/${pid}/cmdline`)) {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline).toContain('--permission');
      expect(cmdline.some((arg) => arg.startsWith('--max-old-space-size='))).toBe(true);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      expect(environ).not.toContain(CANARY_ENV);
      expect(environ).not.toContain('DATABASE_URL');
    }
    expect(
      await pool.run({
        code: 'return 2',
        input: null,
        timeoutMs: 1_000,
        memoryBytes: 16 * MIB,
        stackBytes: 256 * 1024,
      }),
    ).toBe(2);
  });
});

describe('known escapes yield nothing', () => {
  const corpus: Record<string, string> = {
    'constructor chain': `return this.constructor.constructor('return process')().env.${CANARY_ENV}`,
    'function constructor via literal': `return (function(){}).constructor('return globalThis.process.mainModule.require("fs").readFileSync(input.file, "utf8")')()`,
    'async function constructor': `const AsyncFunction = (async () => {}).constructor; return await new AsyncFunction('return process.env')()`,
    'generator constructor': `const G = (function* () {}).constructor; return G('yield process')().next().value.env`,
    'Error.prepareStackTrace': `Error.prepareStackTrace = (e, frames) => frames[0].getThis().process; const leaked = new Error().stack; return leaked.env.${CANARY_ENV}`,
    'dynamic import of fs': `const fs = await import('fs'); return fs.readFileSync(input.file, 'utf8')`,
    'dynamic import of node:child_process': `const cp = await import('node:child_process'); cp.execSync('touch ' + input.marker); return 'spawned'`,
    require: `return require('fs').readFileSync(input.file, 'utf8')`,
    'globalThis.process': `return globalThis.process.env.${CANARY_ENV}`,
    'process.binding': `return process.binding('spawn_sync')`,
    'fetch / network': `const r = await fetch('http://127.0.0.1:' + input.port); return await r.text()`,
    WebSocket: `new WebSocket('ws://127.0.0.1:' + input.port); return 'opened'`,
    XMLHttpRequest: `const x = new XMLHttpRequest(); x.open('GET', 'http://127.0.0.1:' + input.port); x.send(); return 'sent'`,
    'std/os modules of quickjs': `const os = await import('os'); return os.exec(['touch', input.marker])`,
    'Symbol tricks': `const inspect = Symbol.for('nodejs.util.inspect.custom'); return { [inspect]: () => process, [Symbol.toPrimitive]: () => process, toString() { return process } }`,
    'toJSON getter': `return { toJSON() { return { env: globalThis.process && process.env } } }`,
    'prototype getter on output': `Object.defineProperty(Object.prototype, 'then', { get() { return globalThis.process } }); return { a: 1 }`,
    'Object.prototype pollution': `Object.prototype.polluted = '${canaryValue}-leak'; Array.prototype.push = () => 'hijacked'; return {}`,
    'eval indirection': `return (0, eval)('typeof process === "undefined" ? "none" : process.env')`,
    'Reflect/Proxy': `return Reflect.get(new Proxy({}, { get: () => globalThis.process }), 'x').env`,
    'WebAssembly host access': `return typeof WebAssembly === 'undefined' ? 'no wasm' : WebAssembly.Module.imports`,
    'sharedarraybuffer/atomics wait': `const sab = new SharedArrayBuffer(16); Atomics.wait(new Int32Array(sab), 0, 0); return 1`,
    'arguments.callee.caller': `function f() { return arguments.callee.caller } return String(f())`,
    'stack trace leak of host paths': `try { null.x } catch (e) { return e.stack }`,
    'files.read of a host path': `return await files.read(input.file, { as: 'text' })`,
    'files.read as a path to the host': `return await files.read({ id: input.file }, { as: 'text' })`,
    'files function constructor': `return files.read.constructor('return typeof process === "undefined" ? "none" : process.env')()`,
    'files frozen': `files.read = () => 'hijacked'; return await files.read(input.file)`,
  };

  for (const [name, code] of Object.entries(corpus)) {
    it(name, async () => {
      let output: unknown;
      try {
        output = await runSandboxedCode(
          code,
          { file: canaryFile, marker, port },
          { timeoutMs: 500, memoryBytes: 16 * MIB },
        );
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        output = { error: (error as AppError).message, details: (error as AppError).details };
      }
      const text = JSON.stringify(output) ?? '';
      expect(text).not.toContain(canaryValue);
      expect(text).not.toContain(fileCanary);
      expect(text).not.toContain(process.cwd());
      expect(existsSync(marker)).toBe(false);
      expect(connections).toBe(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(readFileSync(canaryFile, 'utf8')).toBe(fileCanary);
    });
  }
});

describe('files inside the sandbox', () => {
  const text = 'héllo, wörld\n';
  const ref: FileRef = {
    id: `f_${'a'.repeat(32)}`,
    name: 'hello.txt',
    contentType: 'text/plain',
    size: Buffer.byteLength(text),
    sha256: '0'.repeat(64),
  };
  const limits = { maxReadBytes: 1024, maxWriteBytes: 1024, maxCalls: 10 };

  /** A FilePort over one file in memory; `hang` makes reads never answer. */
  function filesOver(options: { hang?: boolean; written?: Uint8Array[] } = {}): SandboxFiles {
    const port: FilePort = {
      async read(target) {
        if (options.hang) return new Promise(() => {});
        if ((typeof target === 'string' ? target : target.id) !== ref.id)
          throw new AppError({
            code: 'E_FILE_NOT_FOUND',
            message: 'no such file',
            retryable: false,
            hint: 'same run',
          });
        return { ref, stream: new Blob([text]).stream() };
      },
      async write(options_, body) {
        options.written?.push(body as Uint8Array);
        return { ...ref, name: options_.name, size: (body as Uint8Array).byteLength };
      },
    };
    return { limits, open: (signal) => createSandboxFileHost(port, limits, signal) };
  }

  it('reads text, bytes and base64 in parallel and writes strings and bytes', async () => {
    const written: Uint8Array[] = [];
    const output = await runSandboxedCode(
      `const [t, b, s] = await Promise.all([files.read(input.ref), files.read(input.ref, { as: 'bytes' }), files.read(input.ref, { as: 'base64' })]);
       const w1 = await files.write({ name: 'a.txt', data: t.toUpperCase() });
       const w2 = await files.write({ name: 'b.bin', data: b.subarray(1, 3) });
       return { t, n: b.length, s, sizes: [w1.size, w2.size] };`,
      { ref },
      { timeoutMs: 2_000, memoryBytes: 16 * MIB },
      { files: filesOver({ written }) },
    );
    expect(output).toEqual({
      t: text,
      n: Buffer.byteLength(text),
      s: Buffer.from(text).toString('base64'),
      sizes: [Buffer.byteLength(text.toUpperCase()), 2],
    });
    expect(Buffer.from(written[0] ?? []).toString()).toBe(text.toUpperCase());
    expect([...(written[1] ?? [])]).toEqual([...Buffer.from(text).subarray(1, 3)]);
  });

  it('counts a file call that never answers in the time limit, without killing the process', async () => {
    const started = Date.now();
    const error = await failure(
      runSandboxedCode(
        'return await files.read(input.ref)',
        { ref },
        { timeoutMs: 300, memoryBytes: 16 * MIB },
        {
          files: filesOver({ hang: true }),
        },
      ),
    );
    expect(error.code).toBe('E_CODE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await runSandboxedCode('return 3', null, { timeoutMs: 500, memoryBytes: 16 * MIB })).toBe(3);
  });

  it('fails uncaught file errors with their own code and hint; the caps hold without a round trip', async () => {
    const missing = await failure(
      runSandboxedCode(
        "\nreturn await files.read({ ...input.ref, id: 'f_' + 'b'.repeat(32) })",
        { ref },
        undefined,
        {
          files: filesOver(),
        },
      ),
    );
    expect(missing).toMatchObject({ code: 'E_FILE_NOT_FOUND', hint: 'same run' });
    const big = await failure(
      runSandboxedCode("return await files.write({ name: 'x', data: 'x'.repeat(2000) })", null, undefined, {
        files: filesOver(),
      }),
    );
    expect(big.code).toBe('E_FILE_TOO_LARGE');
    expect(big.hint).toContain('VMESH_CODE_FILE_MAX_BYTES');
    const many = await failure(
      runSandboxedCode(
        'for (let i = 0; i < 20; i++) await files.read(input.ref); return 1',
        { ref },
        undefined,
        {
          files: filesOver(),
        },
      ),
    );
    expect(many.code).toBe('E_FILE_TOO_MANY');
    const unavailable = await failure(runSandboxedCode('return await files.read(input.ref)', { ref }));
    expect(unavailable.code).toBe('E_FILES_UNAVAILABLE');
    const bad = await failure(
      runSandboxedCode("return await files.write({ name: 'x', data: 42 })", null, undefined, {
        files: filesOver(),
      }),
    );
    expect(bad.code).toBe('E_FILE_ARGUMENT');
    // A caught file error is the code's to handle.
    expect(
      await runSandboxedCode(
        "try { await files.read(input.ref, { as: 'json' }) } catch (e) { return e.code }",
        { ref },
        undefined,
        { files: filesOver() },
      ),
    ).toBe('E_FILE_ARGUMENT');
  });
});

describe('sandbox CPU time', () => {
  let pool: SandboxPool;
  beforeAll(() => {
    pool = createSandboxPool({ size: 1, wasmMaxBytes: 48 * MIB, parentDeadlineOnly: true });
  });
  afterAll(async () => {
    await pool.close();
  });
  const call = { input: null, memoryBytes: 16 * MIB, stackBytes: 256 * 1024 };

  it('is what the sandbox process spent on a call, and on a call killed at its deadline (from /proc)', async () => {
    const answered: number[] = [];
    await pool.run({
      ...call,
      code: 'let n = 0; for (let i = 0; i < 2e5; i++) n += i; return n > 0',
      timeoutMs: 20_000,
      onCpuTime: (micros) => answered.push(micros),
    });
    expect(answered).toHaveLength(1);
    expect(answered[0]).toBeGreaterThan(0);
    if (!existsSync('/proc/self/stat')) return;
    const killed: number[] = [];
    const started = performance.now();
    const error = await failure(
      pool.run({ ...call, code: 'for (;;) {}', timeoutMs: 300, onCpuTime: (micros) => killed.push(micros) }),
    );
    const wallMicros = (performance.now() - started) * 1_000;
    expect(error.code).toBe('E_CODE_TIMEOUT');
    expect(killed).toHaveLength(1);
    // The endless loop ran on the CPU for at most the time until the kill (/proc counts in 10 ms ticks).
    expect(killed[0]).toBeGreaterThan(0);
    expect(killed[0]).toBeLessThanOrEqual(wallMicros * 1.5 + 10_000);
  });
});
