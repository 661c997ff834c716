import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { isMultipart } from './multipart-body.ts';

/**
 * A request body written to a private temporary folder as it arrives, so an upload never sits whole in memory;
 * the parts parsed from it are written beside it. `cleanup` removes the folder (the route calls it when done).
 */
export type Spool = {
  readonly dir: string;
  readonly size: number;
  stream(): Readable;
  /** The whole body in memory: only for a signature over the raw bytes, and only up to the caller's cap. */
  read(): Promise<Buffer>;
  cleanup(): Promise<void>;
};

/** Signatures over the raw body are checked up to this size (the body is read into memory for them). */
export const VERIFIED_BODY_MAX_BYTES = 32 * 1024 * 1024;

export function isSpool(value: unknown): value is Spool {
  return (
    typeof value === 'object' && value !== null && 'dir' in value && 'cleanup' in value && 'size' in value
  );
}

/** Thrown while spooling a body over its cap: the route answers 413 E_FILE_TOO_LARGE. */
export class UploadTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`The request is larger than ${limit} bytes.`);
    this.limit = limit;
  }
}

export async function spoolRequest(body: Readable, limit: number): Promise<Spool> {
  const dir = await mkdtemp(join(tmpdir(), 'vmesh-upload-'));
  const path = join(dir, 'body');
  let size = 0;
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(
      body,
      async function* capped(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.byteLength;
          if (size > limit) throw new UploadTooLargeError(limit);
          yield chunk;
        }
      },
      createWriteStream(path, { mode: 0o600 }),
    );
  } catch (error) {
    await cleanup();
    // The client stops reading our answer otherwise: what is left of the body is not read.
    body.resume();
    throw error;
  }
  return { dir, size, stream: () => createReadStream(path), read: () => readFile(path), cleanup };
}

/**
 * Makes `scope` spool multipart bodies (up to `limit`, refused from content-length before reading) and remove the
 * folder once the request is answered. A body over the cap fails with UploadTooLargeError for the route's handler.
 */
export function acceptSpooledUploads(scope: FastifyInstance, limit: number): void {
  scope.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      done(new UploadTooLargeError(limit), undefined);
      return;
    }
    spoolRequest(payload, limit).then(
      (spool) => done(null, spool),
      (error: Error) => done(error, undefined),
    );
  });
  scope.addHook('onResponse', async (request) => {
    if (isSpool(request.body)) await request.body.cleanup();
  });
}

/** Whether a route's error is an upload over its cap (spooling stopped, or fastify's own body limit on multipart). */
export function isUploadTooLarge(error: unknown, contentType: string | undefined): boolean {
  if (error instanceof UploadTooLargeError) return true;
  return (
    (error as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE' &&
    isMultipart(String(contentType ?? ''))
  );
}
