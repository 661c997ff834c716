import { ConnectorError } from '../sdk/connector-error.ts';

/** The bytes are not a readable file of the format named (corrupt, truncated, encrypted, another format). */
export function fileFormatError(
  format: string,
  name: string,
  reason: string,
  cause?: unknown,
): ConnectorError {
  return new ConnectorError({
    code: 'E_FILE_FORMAT',
    message: `file.extract: "${name}" could not be read as ${format}: ${reason}`,
    retryable: false,
    hint: `Check that the file really is ${format} (its content type says what the bytes are), or pick the format that matches it.`,
    details: { format },
    cause,
  });
}

/** A cap of the file connector was reached: the file or its content is bigger than a step may handle. */
export function fileLimitError(action: string, message: string, hint: string, limit: number): ConnectorError {
  return new ConnectorError({
    code: 'E_FILE_LIMIT',
    message: `${action}: ${message}`,
    retryable: false,
    hint,
    details: { limit },
  });
}
