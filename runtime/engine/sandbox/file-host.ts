// The parent's side of core.code's `files` API: each call the sandbox makes is checked here (the child is less
// trusted than the worker) and done through the step's FilePort, so the run's own rules apply: only files of the
// run (or of the run that started it) can be read, and written files count against the file and run caps.
import { type FilePort, FileRef } from '../../../connectors/index.ts';
import { AppError } from '../../../lib/index.ts';
import {
  codeBadFileArgument,
  codeReadTooLarge,
  codeTooManyFileCalls,
  codeWriteTooLarge,
} from './file-call-errors.ts';
import type { SandboxFileCall, SandboxFileError, SandboxFileLimits, SandboxReply } from './protocol.ts';

export type SandboxFileAnswer =
  | { ok: true; base64?: string; refJson?: string }
  | { ok: false; error: SandboxFileError };

/** One call's files: `handle` answers each files.read/files.write of it, keeping the call's byte budgets. */
export type SandboxFileHost = { handle(call: SandboxFileCall): Promise<SandboxFileAnswer> };

/** What a core.code call is given: its limits, and a host made when the call starts (its signal ends with the call). */
export type SandboxFiles = { limits: SandboxFileLimits; open(signal: AbortSignal): SandboxFileHost };

export const DEFAULT_CODE_FILE_CALLS = 100;

function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The code's files through `port` (the step's FilePort over `signal`), within `limits`. */
export function createSandboxFileHost(
  port: FilePort,
  limits: SandboxFileLimits,
  signal: AbortSignal,
): SandboxFileHost {
  let calls = 0;
  let readBytes = 0;
  let writtenBytes = 0;

  async function read(call: Extract<SandboxFileCall, { op: 'read' }>): Promise<SandboxFileAnswer> {
    const parsed =
      typeof call.ref === 'string' ? { success: true as const, data: call.ref } : FileRef.safeParse(call.ref);
    if (!parsed.success)
      return {
        ok: false,
        error: codeBadFileArgument(
          'files.read: the argument is not a file reference ({ id, name, contentType, size, sha256 }); pass one from a step output.',
        ),
      };
    const { ref, stream } = await port.read(parsed.data);
    if (readBytes + ref.size > limits.maxReadBytes) {
      await stream.cancel().catch(() => {});
      return { ok: false, error: codeReadTooLarge(ref.name, limits.maxReadBytes) };
    }
    readBytes += ref.size;
    const chunks: Buffer[] = [];
    let size = 0;
    const reader = stream.getReader();
    try {
      for (;;) {
        if (signal.aborted) throw new Error('the core.code call ended');
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        // The stored size said it fits; bytes past it are not taken in.
        if (size > ref.size) return { ok: false, error: codeReadTooLarge(ref.name, limits.maxReadBytes) };
        chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    return { ok: true, base64: Buffer.concat(chunks).toString('base64') };
  }

  async function write(call: Extract<SandboxFileCall, { op: 'write' }>): Promise<SandboxFileAnswer> {
    const remaining = limits.maxWriteBytes - writtenBytes;
    // Checked on the encoded length first: an oversized message is not decoded.
    if (call.base64.length > Math.ceil(remaining / 3) * 4 + 4)
      return { ok: false, error: codeWriteTooLarge(call.name, limits.maxWriteBytes) };
    const bytes = Buffer.from(call.base64, 'base64');
    if (bytes.byteLength > remaining)
      return { ok: false, error: codeWriteTooLarge(call.name, limits.maxWriteBytes) };
    writtenBytes += bytes.byteLength;
    const ref = await port.write(
      { name: call.name, contentType: call.contentType, expectedSize: bytes.byteLength },
      new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    );
    return { ok: true, refJson: JSON.stringify(ref) };
  }

  return {
    async handle(call) {
      calls += 1;
      if (calls > limits.maxCalls) return { ok: false, error: codeTooManyFileCalls(limits.maxCalls) };
      try {
        return call.op === 'read' ? await read(call) : await write(call);
      } catch (error) {
        // The store's own errors (E_FILE_NOT_FOUND, E_FILE_TOO_LARGE for the file and run caps) go to the code as
        // they are; anything else is the store failing.
        if (isAppError(error))
          return { ok: false, error: { code: error.code, message: error.message, hint: error.hint ?? '' } };
        throw error;
      }
    },
  };
}

/** A file error the code did not catch: the step fails with it (its code and hint), at the line that threw. */
export function fileFailure(error: SandboxFileError, reply: Extract<SandboxReply, { ok: false }>): AppError {
  const at = reply.line !== undefined ? ` (line ${reply.line})` : '';
  return new AppError({
    code: error.code,
    message: `core.code: ${error.message}${at}`,
    hint: error.hint,
    retryable: error.code === 'E_FILE_STORE',
    details: reply.line !== undefined ? { line: reply.line, column: reply.column } : {},
  });
}
