// The errors of core.code's `files` API, as plain data: the child makes some itself (before sending bytes it
// knows are too many), the parent the rest; both sides word them the same way.
import type { SandboxFileError } from './protocol.ts';

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

export function codeReadTooLarge(name: string, limit: number): SandboxFileError {
  return {
    code: 'E_FILE_TOO_LARGE',
    message: `files.read of "${name}" would take this core.code step past its limit of ${limit} bytes (${mib(limit)}) read in total.`,
    hint: `core.code is for small files: read fewer or smaller files, use file.extract for large ones, or raise VMESH_CODE_FILE_MAX_BYTES (now ${limit}) on the server.`,
  };
}

export function codeWriteTooLarge(name: string, limit: number): SandboxFileError {
  return {
    code: 'E_FILE_TOO_LARGE',
    message: `files.write of "${name}" would take this core.code step past its limit of ${limit} bytes (${mib(limit)}) written in total; it was not stored.`,
    hint: `core.code is for small files: write less (e.g. file.convert for large tables), or raise VMESH_CODE_FILE_MAX_BYTES (now ${limit}) on the server.`,
  };
}

export function codeTooManyFileCalls(limit: number): SandboxFileError {
  return {
    code: 'E_FILE_TOO_MANY',
    message: `core.code called files.read/files.write more than ${limit} times in one step.`,
    hint: 'Read and write fewer, larger files, or split the work over a core.foreach.',
  };
}

export function codeBadFileArgument(message: string): SandboxFileError {
  return {
    code: 'E_FILE_ARGUMENT',
    message,
    hint: "Call files.read(ref, { as: 'text' | 'bytes' | 'base64' }) with a file reference from a step output, and files.write({ name, data, contentType?, encoding? }) with data a string or a Uint8Array.",
  };
}

export function codeFilesUnavailable(): SandboxFileError {
  return {
    code: 'E_FILES_UNAVAILABLE',
    message: 'files is not available here: only a core.code step of a run can read and write files.',
    hint: 'Run the code as a workflow step.',
  };
}

/** The file store itself failed (database, bucket): worth another attempt. */
export function codeFileStoreFailed(): SandboxFileError {
  return {
    code: 'E_FILE_STORE',
    message: 'the file store could not read or write the file just now.',
    hint: 'Retry the step; if it keeps failing, check the database or the files bucket (the worker log has the cause).',
  };
}
