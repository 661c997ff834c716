import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { FileBody, FilePort, FileRef, FileWriteOptions } from '../../connectors/index.ts';
import type { Sql } from '../../db/index.ts';
import type { BlobStore } from './blob-store.ts';
import { rechunk } from './chunks.ts';
import { fileNotFoundError, fileTooLargeError, runFilesTooLargeError } from './file-errors.ts';
import { DEFAULT_CODE_FILE_MAX_BYTES, type FilesConfig } from './files-config.ts';
import { sniffContentType } from './sniff.ts';

export type FileStore = {
  limits: { maxFileBytes: number; maxRunBytes: number; maxCodeBytes: number };
  kind: BlobStore['kind'];
  /** The port of one step: it writes files of its run and reads those of its run or of the run that started it. */
  forStep(step: { runId: string; nodeId: string; parentRunId: string | null }, signal: AbortSignal): FilePort;
  /** A stored file of `runId` (the download route); undefined for an unknown id or another run's file. */
  open(
    runId: string,
    fileId: string,
  ): Promise<{ ref: FileRef; stream: ReadableStream<Uint8Array> } | undefined>;
  /** Deletes the S3 objects of files whose rows are gone (their runs were deleted); returns how many. */
  sweep(): Promise<number>;
};

const FileRow = z.object({
  id: z.string(),
  name: z.string(),
  contentType: z.string(),
  size: z.coerce.number(),
  sha256: z.string(),
  storageKey: z.string().nullable(),
});

const FileId = z.string().regex(/^f_[A-Za-z0-9_-]{20,64}$/);

function newFileId(): string {
  return `f_${randomBytes(24).toString('base64url')}`;
}

/** A name safe to store and to put in a download header: no folders, no control characters, at most 255 chars. */
function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is taken out
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim();
  return (clean === '' || clean === '.' || clean === '..' ? 'file' : clean).slice(0, 255);
}

function idOf(ref: FileRef | string): string | undefined {
  const id = typeof ref === 'string' ? ref : (ref as { id?: unknown } | null)?.id;
  const parsed = FileId.safeParse(id);
  return parsed.success ? parsed.data : undefined;
}

export function createFileStore(options: { sql: Sql; blobs: BlobStore; config: FilesConfig }): FileStore {
  const { sql, blobs } = options;
  const limits = {
    maxFileBytes: options.config.maxFileBytes,
    maxRunBytes: options.config.maxRunBytes,
    maxCodeBytes: options.config.maxCodeBytes ?? DEFAULT_CODE_FILE_MAX_BYTES,
  };

  async function runBytes(runId: string, except: string): Promise<number> {
    const [row] =
      await sql`select coalesce(sum(size), 0)::bigint as total from files where run_id = ${runId} and id <> ${except}`;
    return Number(row?.total ?? 0);
  }

  async function write(
    step: { runId: string; nodeId: string },
    signal: AbortSignal,
    options: FileWriteOptions,
    body: FileBody,
  ): Promise<FileRef> {
    const name = cleanName(options.name);
    if (options.expectedSize !== undefined && options.expectedSize > limits.maxFileBytes) {
      throw fileTooLargeError(name, limits.maxFileBytes);
    }
    const id = newFileId();
    const key = blobs.keyFor(step.runId, id);
    await sql`
      insert into files (id, run_id, node_id, name, content_type, storage, storage_key)
      values (${id}, ${step.runId}, ${step.nodeId}, ${name}, 'application/octet-stream', ${blobs.kind}, ${key})`;
    const hash = createHash('sha256');
    let size = 0;
    let head: Buffer | undefined;
    try {
      const before = await runBytes(step.runId, id);
      if (before + (options.expectedSize ?? 0) > limits.maxRunBytes)
        throw runFilesTooLargeError(name, limits.maxRunBytes);
      async function* metered(): AsyncGenerator<Buffer> {
        for await (const chunk of rechunk(body)) {
          size += chunk.byteLength;
          if (size > limits.maxFileBytes) throw fileTooLargeError(name, limits.maxFileBytes);
          if (before + size > limits.maxRunBytes) throw runFilesTooLargeError(name, limits.maxRunBytes);
          head ??= chunk.subarray(0, 4100);
          hash.update(chunk);
          yield chunk;
        }
      }
      await blobs.put({ id, key }, metered(), signal);
      const sha256 = hash.digest('hex');
      const contentType = await sniffContentType(head ?? Buffer.alloc(0), options.contentType, name);
      await sql`
        update files set size = ${size}, sha256 = ${sha256}, content_type = ${contentType}, status = 'stored'
        where id = ${id}`;
      // Another step of the run may have stored a file meanwhile: the total is checked again with this one in.
      if ((await runBytes(step.runId, id)) + size > limits.maxRunBytes)
        throw runFilesTooLargeError(name, limits.maxRunBytes);
      return { id, name, contentType, size, sha256 };
    } catch (error) {
      await sql`delete from files where id = ${id}`;
      throw error;
    }
  }

  async function find(runIds: readonly string[], fileId: string) {
    const [row] = await sql`
      select id, name, content_type, size, sha256, storage_key from files
      where id = ${fileId} and run_id = any(${runIds as string[]}::text[]) and status = 'stored'`;
    return row ? FileRow.parse(row) : undefined;
  }

  async function openRow(row: z.infer<typeof FileRow>) {
    const ref: FileRef = {
      id: row.id,
      name: row.name,
      contentType: row.contentType,
      size: row.size,
      sha256: row.sha256,
    };
    return { ref, stream: await blobs.open({ id: row.id, key: row.storageKey }) };
  }

  return {
    limits,
    kind: blobs.kind,
    forStep(step, signal) {
      const readable = step.parentRunId ? [step.runId, step.parentRunId] : [step.runId];
      return {
        write: (options, body) => write(step, signal, options, body),
        async read(ref) {
          const id = idOf(ref);
          const row = id ? await find(readable, id) : undefined;
          if (!row) throw fileNotFoundError();
          return openRow(row);
        },
      };
    },
    async open(runId, fileId) {
      const id = idOf(fileId);
      const row = id ? await find([runId], id) : undefined;
      return row ? openRow(row) : undefined;
    },
    async sweep() {
      const rows = await sql`select storage_key from file_deletions order by created_at limit 1000`;
      const keys = rows.map((row) => String(row.storageKey));
      if (keys.length === 0) return 0;
      await blobs.remove(keys);
      await sql`delete from file_deletions where storage_key = any(${keys}::text[])`;
      return keys.length;
    },
  };
}
