import { createHash, randomBytes } from 'node:crypto';
import { ConnectorError } from '../sdk/connector-error.ts';
import type { FileBody, FilePort, FileRef } from '../sdk/files.ts';

/** A FilePort in memory for connector tests through invokeAction (the engine's is the Postgres/S3 file store). */
export type MemoryFiles = FilePort & {
  /** Stores bytes as a file of this "run" and returns its reference. */
  add(name: string, bytes: Uint8Array, contentType?: string): FileRef;
  bytes(ref: FileRef): Buffer | undefined;
};

async function collect(body: FileBody): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Files of one pretend run; `maxBytes` caps a write like VMESH_FILE_MAX_BYTES does. */
export function createMemoryFiles(options: { maxBytes?: number } = {}): MemoryFiles {
  const stored = new Map<string, { ref: FileRef; bytes: Buffer }>();
  const add = (name: string, bytes: Uint8Array, contentType = 'application/octet-stream'): FileRef => {
    const data = Buffer.from(bytes);
    const ref: FileRef = {
      id: `f_${randomBytes(16).toString('hex')}`,
      name,
      contentType,
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    };
    stored.set(ref.id, { ref, bytes: data });
    return ref;
  };
  return {
    add,
    bytes: (ref) => stored.get(ref.id)?.bytes,
    async write(write, body) {
      const data = await collect(body);
      if (options.maxBytes !== undefined && data.length > options.maxBytes) {
        throw new ConnectorError({
          code: 'E_FILE_TOO_LARGE',
          message: `the file is over ${options.maxBytes} bytes`,
          retryable: false,
        });
      }
      return add(write.name, data, write.contentType ?? 'application/octet-stream');
    },
    async read(ref) {
      const id = typeof ref === 'string' ? ref : ref.id;
      const found = stored.get(id);
      if (!found) {
        throw new ConnectorError({
          code: 'E_FILE_NOT_FOUND',
          message: `no file ${id} in this run`,
          retryable: false,
        });
      }
      const data = found.bytes;
      let offset = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= data.length) return controller.close();
          controller.enqueue(new Uint8Array(data.subarray(offset, offset + 64 * 1024)));
          offset += 64 * 1024;
        },
      });
      return { ref: found.ref, stream };
    },
  };
}
