import { z } from 'zod';
import { ConnectorError } from './connector-error.ts';

/**
 * A file in step data: a small reference, never the bytes (they live in the run's file store). The id is random
 * and unguessable, and still checked against the reading step's run: a reference in a document or expression is
 * attacker-controlled.
 */
export const FileRef = z
  .object({
    id: z
      .string()
      .regex(/^f_[A-Za-z0-9_-]{20,64}$/, 'a file id as a step output gave it (f_…)')
      .describe('The file id, as a step output gave it.'),
    name: z.string().min(1).max(255).describe('File name, e.g. report.pdf.'),
    contentType: z
      .string()
      .min(1)
      .max(255)
      .describe('Media type, from the content where it can be recognised.'),
    size: z.number().int().min(0).describe('Size in bytes.'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe('SHA-256 of the bytes, lower-case hex.'),
  })
  .describe('A file reference (from a step output, e.g. `{{ steps.download.output.file }}`).')
  // What a dry run simulates for a file: a reference that fits, so the steps reading it can be checked.
  .meta({
    examples: [
      {
        id: 'f_simulated0000000000000000',
        name: 'simulated.pdf',
        contentType: 'application/pdf',
        size: 1024,
        sha256: '0'.repeat(64),
      },
    ],
  });
export type FileRef = z.infer<typeof FileRef>;

/** Bytes to store: a web stream, any async iterable of chunks (a Node stream), or the bytes themselves. */
export type FileBody = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array;

export type FileWriteOptions = {
  name: string;
  /** What the sender said; the content decides when it can be recognised. */
  contentType?: string | undefined;
  /** The size the sender announced (content-length), so a file over the cap fails before it is read. */
  expectedSize?: number | undefined;
};

/**
 * The files of the step's run: `write` streams bytes into the store (with the size caps) and returns the reference
 * to put in the output; `read` streams a file of this run (or of the run that started it) back.
 */
export type FilePort = {
  write(options: FileWriteOptions, body: FileBody): Promise<FileRef>;
  read(ref: FileRef | string): Promise<{ ref: FileRef; stream: ReadableStream<Uint8Array> }>;
};

/** The port of a context without a file store (a bare `invokeAction` outside the engine). */
export const NO_FILES: FilePort = {
  write: () => Promise.reject(filesUnavailable()),
  read: () => Promise.reject(filesUnavailable()),
};

function filesUnavailable(): ConnectorError {
  return new ConnectorError({
    code: 'E_FILES_UNAVAILABLE',
    message: 'This step has no file store: files can only be written and read by steps of a run.',
    retryable: false,
    hint: 'Run the action as a workflow step.',
  });
}
