import { AppError } from '../../lib/index.ts';

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

export function fileTooLargeError(name: string, limit: number): AppError {
  return new AppError({
    code: 'E_FILE_TOO_LARGE',
    message: `The file "${name}" is larger than the limit of ${limit} bytes (${mib(limit)}) for one file; it was not stored.`,
    retryable: false,
    hint: `Ask for a smaller file, or raise VMESH_FILE_MAX_BYTES (now ${limit}) on the server.`,
    details: { limitBytes: limit, limit: 'VMESH_FILE_MAX_BYTES' },
  });
}

export function runFilesTooLargeError(name: string, limit: number): AppError {
  return new AppError({
    code: 'E_FILE_TOO_LARGE',
    message: `Storing "${name}" would take this run's files over the limit of ${limit} bytes (${mib(limit)}) per run; it was not stored.`,
    retryable: false,
    hint: `Handle fewer or smaller files per run, or raise VMESH_RUN_FILES_MAX_BYTES (now ${limit}) on the server.`,
    details: { limitBytes: limit, limit: 'VMESH_RUN_FILES_MAX_BYTES' },
  });
}

export function fileNotFoundError(): AppError {
  return new AppError({
    code: 'E_FILE_NOT_FOUND',
    message: 'The file reference names no file of this run.',
    retryable: false,
    hint: 'Pass a file reference from a step output of the same run (e.g. {{ steps.download.output.file }}).',
  });
}
