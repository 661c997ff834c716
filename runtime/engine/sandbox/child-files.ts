// core.code's `files` inside the sandbox process. The code sees `files.read` / `files.write` returning promises;
// each call goes to the parent as a message (the parent does the I/O through the run's file store) and its answer
// settles the promise. Nothing here touches the file system: the bytes only pass through, base64-encoded.
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import {
  codeBadFileArgument,
  codeFilesUnavailable,
  codeTooManyFileCalls,
  codeWriteTooLarge,
} from './file-call-errors.ts';
import {
  READ_AS,
  type ReadAs,
  type SandboxFileCall,
  type SandboxFileError,
  type SandboxFileLimits,
  type SandboxFileResult,
} from './protocol.ts';

/**
 * Evaluated before the person's code. `host` is captured and never reachable from the code; the builtins it uses
 * are taken now, so replacing JSON or Promise in the code changes nothing here.
 */
const PRELUDE = `(function (host) {
  'use strict';
  const parse = JSON.parse, stringify = JSON.stringify, P = Promise, U8 = Uint8Array, Err = Error;
  const isView = ArrayBuffer.isView, AB = ArrayBuffer;
  function call(op, args, payload) {
    return new P(function (resolve, reject) {
      host(op, stringify(args), payload, resolve, function (text) {
        const info = parse(text);
        const error = new Err(info.code + ': ' + info.message);
        error.code = info.code;
        error.hint = info.hint;
        reject(error);
      });
    });
  }
  async function read(ref, options) {
    const as = options != null && options.as !== undefined ? options.as : 'text';
    const value = await call('read', { ref: ref === undefined ? null : ref, as: as });
    return as === 'bytes' ? new U8(value) : value;
  }
  async function write(file) {
    if (file == null || typeof file !== 'object') return call('write', { bad: 'files.write takes one object { name, data, contentType?, encoding? }' });
    const data = file.data;
    let payload;
    let kind = 'none';
    if (typeof data === 'string') { payload = data; kind = 'text'; }
    else if (data instanceof AB) { payload = data; kind = 'bytes'; }
    else if (isView(data)) {
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      payload = whole ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
      kind = 'bytes';
    }
    const args = { name: file.name, contentType: file.contentType, encoding: file.encoding, kind: kind };
    return parse(await call('write', args, payload));
  }
  return Object.freeze({ read: read, write: write });
})`;

type Pending = { resolve: QuickJSHandle; reject: QuickJSHandle; as: ReadAs | undefined };

export type FileBridge = {
  /** Calls sent to the parent and not answered yet. */
  outstanding(): number;
  /** Waits for the next answer (true) or `ms` (false). */
  waitForAnswer(ms: number): Promise<boolean>;
  /** An answer from the parent: settles the code's promise (its jobs run in the caller's loop). */
  deliver(result: SandboxFileResult): void;
  /** The file error the code was given whose text `message` (what the code threw) carries, if any. */
  uncaught(message: string): SandboxFileError | undefined;
  /** A QuickJS exception raised while settling (out of memory building a string…), for the caller to report. */
  fatal(): QuickJSHandle | undefined;
  dispose(): void;
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Installs `files` as a global of `context` for request `id`; `send` posts a call to the parent. */
export function installFiles(
  context: QuickJSContext,
  id: number,
  limits: SandboxFileLimits | undefined,
  send: (call: SandboxFileCall) => void,
): FileBridge {
  const pending = new Map<number, Pending>();
  const given: SandboxFileError[] = [];
  let calls = 0;
  let written = 0;
  let fatal: QuickJSHandle | undefined;
  let wake: (() => void) | undefined;

  function settle(target: QuickJSHandle, value: QuickJSHandle): void {
    const result = context.callFunction(target, context.undefined, value);
    value.dispose();
    if (result.error) fatal ??= result.error;
    else result.value.dispose();
  }

  function rejectNow(reject: QuickJSHandle, error: SandboxFileError): void {
    if (given.length < 100) given.push(error);
    settle(reject, context.newString(JSON.stringify(error)));
  }

  function readArgs(args: Record<string, unknown>): { ref: unknown; as: ReadAs } | SandboxFileError {
    const as = args.as;
    if (!READ_AS.includes(as as ReadAs))
      return codeBadFileArgument(
        `files.read: options.as must be 'text', 'bytes' or 'base64', not ${JSON.stringify(as)}.`,
      );
    if (args.ref === null || (typeof args.ref !== 'object' && typeof args.ref !== 'string'))
      return codeBadFileArgument(
        'files.read: the first argument must be a file reference ({ id, name, … }) from a step output.',
      );
    return { ref: args.ref, as: as as ReadAs };
  }

  function writeArgs(
    args: Record<string, unknown>,
    text: string | undefined,
    bytes: Uint8Array | undefined,
  ): { name: string; contentType?: string; base64: string } | SandboxFileError {
    if (typeof args.bad === 'string') return codeBadFileArgument(args.bad);
    const { name, contentType, encoding } = args;
    if (typeof name !== 'string' || name.trim() === '' || name.length > 255)
      return codeBadFileArgument(
        'files.write: name must be a file name of 1–255 characters, e.g. "report.csv".',
      );
    if (contentType !== undefined && (typeof contentType !== 'string' || contentType.length > 255))
      return codeBadFileArgument('files.write: contentType must be a media type such as "text/csv".');
    let base64: string;
    let size: number;
    if (typeof text === 'string') {
      if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'base64')
        return codeBadFileArgument(
          `files.write: encoding must be 'utf8' or 'base64', not ${JSON.stringify(encoding)}.`,
        );
      if (encoding === 'base64') {
        const clean = text.replace(/\s+/g, '');
        if (clean.length % 4 === 1 || !BASE64.test(clean))
          return codeBadFileArgument('files.write: data is not base64 (encoding: "base64").');
        base64 = clean;
        size = Math.floor((clean.length * 3) / 4) - (clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0);
      } else {
        const buffer = Buffer.from(text, 'utf8');
        base64 = buffer.toString('base64');
        size = buffer.byteLength;
      }
    } else if (bytes) {
      if (encoding !== undefined)
        return codeBadFileArgument(
          'files.write: encoding applies to string data only; leave it out for bytes.',
        );
      base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
      size = bytes.byteLength;
    } else {
      return codeBadFileArgument('files.write: data must be a string or a Uint8Array.');
    }
    if (limits && written + size > limits.maxWriteBytes) return codeWriteTooLarge(name, limits.maxWriteBytes);
    written += size;
    return { name, ...(typeof contentType === 'string' ? { contentType } : {}), base64 };
  }

  const host = context.newFunction('host', (opHandle, argsHandle, payloadHandle, resolve, reject) => {
    const op = context.getString(opHandle);
    const args = JSON.parse(context.getString(argsHandle)) as Record<string, unknown>;
    calls += 1;
    const problem = !limits
      ? codeFilesUnavailable()
      : calls > limits.maxCalls
        ? codeTooManyFileCalls(limits.maxCalls)
        : undefined;
    if (problem) return rejectNow(reject, problem);
    // The data comes as its own argument, not inside the JSON: a large string is not copied twice in the sandbox.
    let bytes: Uint8Array | undefined;
    let text: string | undefined;
    if (op === 'write' && args.kind === 'bytes') {
      const lifetime = context.getArrayBuffer(payloadHandle);
      bytes = lifetime.value.slice();
      lifetime.dispose();
    } else if (op === 'write' && args.kind === 'text' && context.typeof(payloadHandle) === 'string') {
      text = context.getString(payloadHandle);
    }
    const callId = calls;
    if (op === 'read') {
      const checked = readArgs(args);
      if ('code' in checked) return rejectNow(reject, checked);
      pending.set(callId, { resolve: resolve.dup(), reject: reject.dup(), as: checked.as });
      send({ type: 'file', id, callId, op: 'read', ref: checked.ref, as: checked.as });
      return;
    }
    const checked = writeArgs(args, text, bytes);
    if ('code' in checked) return rejectNow(reject, checked);
    pending.set(callId, { resolve: resolve.dup(), reject: reject.dup(), as: undefined });
    send({ type: 'file', id, callId, op: 'write', ...checked });
  });
  const made = context.evalCode(PRELUDE, 'files.js');
  if (made.error) {
    made.error.dispose();
    host.dispose();
    throw new Error('the files prelude did not compile');
  }
  const api = context.callFunction(made.value, context.undefined, host);
  made.value.dispose();
  host.dispose();
  if (api.error) {
    api.error.dispose();
    throw new Error('the files prelude failed');
  }
  context.setProp(context.global, 'files', api.value);
  api.value.dispose();

  return {
    outstanding: () => pending.size,
    waitForAnswer(ms) {
      return new Promise<boolean>((resolveWait) => {
        const timer = setTimeout(
          () => {
            wake = undefined;
            resolveWait(false);
          },
          Math.max(0, ms),
        );
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolveWait(true);
        };
      });
    },
    deliver(result) {
      const entry = pending.get(result.callId);
      if (!entry || result.id !== id) return;
      pending.delete(result.callId);
      try {
        if (!result.ok) {
          rejectNow(entry.reject, result.error);
        } else if (result.refJson !== undefined) {
          settle(entry.resolve, context.newString(result.refJson));
        } else {
          const base64 = result.base64 ?? '';
          if (entry.as === 'base64') settle(entry.resolve, context.newString(base64));
          else {
            const bytes = Buffer.from(base64, 'base64');
            if (entry.as === 'text') settle(entry.resolve, context.newString(bytes.toString('utf8')));
            else {
              const copy = new ArrayBuffer(bytes.byteLength);
              new Uint8Array(copy).set(bytes);
              settle(entry.resolve, context.newArrayBuffer(copy));
            }
          }
        }
      } finally {
        entry.resolve.dispose();
        entry.reject.dispose();
        wake?.();
      }
    },
    uncaught: (message) => given.find((error) => message.includes(`${error.code}: ${error.message}`)),
    fatal: () => fatal,
    dispose() {
      for (const entry of pending.values()) {
        entry.resolve.dispose();
        entry.reject.dispose();
      }
      pending.clear();
      if (fatal?.alive) fatal.dispose();
    },
  };
}
