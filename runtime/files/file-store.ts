import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { FileBody, FilePort, FileRef, FileWriteOptions } from '../../connectors/index.ts';
import type { Sql, TransactionSql } from '../../db/index.ts';
import type { BlobStore } from './blob-store.ts';
import { rechunk } from './chunks.ts';
import { fileNotFoundError, fileTooLargeError, runFilesTooLargeError } from './file-errors.ts';
import { DEFAULT_CODE_FILE_MAX_BYTES, DEFAULT_UPLOAD_MAX_BYTES, type FilesConfig } from './files-config.ts';
import { sniffContentType } from './sniff.ts';

export type FileStore = {
  /** maxUploadBytes: the largest multipart request to a hook or form, never above maxRunBytes. */
  limits: { maxFileBytes: number; maxRunBytes: number; maxUploadBytes: number; maxCodeBytes: number };
  kind: BlobStore['kind'];
  /** The port of one step: it writes files of its run and reads those of its run or of the run that started it. */
  forStep(step: { runId: string; nodeId: string; parentRunId: string | null }, signal: AbortSignal): FilePort;
  /**
   * Files a poll trigger stores before its runs exist: staged for the workflow until `claim` ties them to the run
   * an item started (in that run's transaction); `discard` deletes what is still staged (unclaimed) afterwards.
   */
  forTrigger(workflowId: string, signal: AbortSignal): StagedFiles;
  /** Ties staged files of `workflowId` to `runId`, inside the transaction that creates the run. */
  claim(tx: TransactionSql, workflowId: string, runId: string, fileIds: readonly string[]): Promise<void>;
  /** A stored file of `runId` (the download route); undefined for an unknown id or another run's file. */
  open(
    runId: string,
    fileId: string,
  ): Promise<{ ref: FileRef; stream: ReadableStream<Uint8Array> } | undefined>;
  /**
   * Deletes files left staged for over an hour (their poll crashed), then the S3 objects of files whose rows are
   * gone (their runs were deleted); returns how many objects.
   */
  sweep(): Promise<number>;
  /**
   * Files of a run created in `tx` (a trigger's uploads): their rows and Postgres chunks commit or roll back with the
   * run. When the transaction fails, `discard()` deletes the S3 objects already written (a no-op for Postgres).
   */
  inTransaction(tx: TransactionSql, run: { runId: string; nodeId: string }): TransactionFiles;
};

export type TransactionFiles = {
  write(options: FileWriteOptions, body: FileBody): Promise<FileRef>;
  discard(): Promise<void>;
};

/** A poll's staged files: the port its trigger writes through, and what it wrote. */
export type StagedFiles = {
  port: FilePort;
  written(): readonly string[];
  /** Deletes the files written through `port` that no run claimed. */
  discard(): Promise<void>;
};

/** How long a staged file may wait for its run before the sweep deletes it (its poll crashed). */
const STAGED_MAX_AGE = '1 hour';

type Owner = { runId: string; nodeId: string } | { stagedFor: string; nodeId: string };

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
  const { maxFileBytes, maxRunBytes } = options.config;
  const maxUploadBytes = Math.min(options.config.maxUploadBytes ?? DEFAULT_UPLOAD_MAX_BYTES, maxRunBytes);
  const maxCodeBytes = options.config.maxCodeBytes ?? DEFAULT_CODE_FILE_MAX_BYTES;
  const limits = { maxFileBytes, maxRunBytes, maxUploadBytes, maxCodeBytes };

  async function runBytes(db: Sql | TransactionSql, runId: string, except: string): Promise<number> {
    const [row] =
      await db`select coalesce(sum(size), 0)::bigint as total from files where run_id = ${runId} and id <> ${except}`;
    return Number(row?.total ?? 0);
  }

  /** Writes one file; `db` is `sql` (a step's file: its row is deleted again on failure) or the run's transaction. */
  async function write(
    owner: Owner,
    signal: AbortSignal,
    options: FileWriteOptions,
    body: FileBody,
    db: Sql | TransactionSql = sql,
    onKey: (key: string) => void = () => {},
  ): Promise<FileRef> {
    const name = cleanName(options.name);
    if (options.expectedSize !== undefined && options.expectedSize > limits.maxFileBytes) {
      throw fileTooLargeError(name, limits.maxFileBytes);
    }
    const id = newFileId();
    const runId = 'runId' in owner ? owner.runId : null;
    const stagedFor = 'stagedFor' in owner ? owner.stagedFor : null;
    const key = blobs.keyFor(runId ?? `staged-${stagedFor}`, id);
    if (key !== null) onKey(key);
    await db`
      insert into files (id, run_id, staged_for, node_id, name, content_type, storage, storage_key)
      values (${id}, ${runId}, ${stagedFor}, ${owner.nodeId}, ${name}, 'application/octet-stream', ${blobs.kind}, ${key})`;
    const hash = createHash('sha256');
    let size = 0;
    let head: Buffer | undefined;
    // A staged file has no run yet: only the per-file cap applies (the trigger caps what one item stores).
    const runTotal = async () => (runId ? runBytes(db, runId, id) : 0);
    try {
      const before = await runTotal();
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
      await blobs.put({ id, key }, metered(), signal, db);
      const sha256 = hash.digest('hex');
      const contentType = await sniffContentType(head ?? Buffer.alloc(0), options.contentType, name);
      await db`
        update files set size = ${size}, sha256 = ${sha256}, content_type = ${contentType}, status = 'stored'
        where id = ${id}`;
      // Another step of the run may have stored a file meanwhile: the total is checked again with this one in.
      if ((await runTotal()) + size > limits.maxRunBytes)
        throw runFilesTooLargeError(name, limits.maxRunBytes);
      return { id, name, contentType, size, sha256 };
    } catch (error) {
      // In a transaction the row goes with its rollback (the statement could not run in a failed one anyway).
      if (db === sql) await sql`delete from files where id = ${id}`;
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
        write: (options, body) => write({ runId: step.runId, nodeId: step.nodeId }, signal, options, body),
        async read(ref) {
          const id = idOf(ref);
          const row = id ? await find(readable, id) : undefined;
          if (!row) throw fileNotFoundError();
          return openRow(row);
        },
      };
    },
    forTrigger(workflowId, signal) {
      const written: string[] = [];
      let discarded = false;
      return {
        port: {
          async write(options, body) {
            const ref = await write({ stagedFor: workflowId, nodeId: 'trigger' }, signal, options, body);
            // A poll abandoned at its time limit may still be writing after the discard: that file goes too.
            if (discarded) {
              await sql`delete from files where id = ${ref.id} and run_id is null`;
              throw new Error('the poll these files were staged for is over');
            }
            written.push(ref.id);
            return ref;
          },
          read: () => Promise.reject(fileNotFoundError()),
        },
        written: () => written,
        async discard() {
          discarded = true;
          if (written.length === 0) return;
          await sql`delete from files where id = any(${written}::text[]) and run_id is null`;
        },
      };
    },
    async claim(tx, workflowId, runId, fileIds) {
      if (fileIds.length === 0) return;
      await tx`
        update files set run_id = ${runId}, staged_for = null
        where id = any(${fileIds as string[]}::text[]) and staged_for = ${workflowId} and run_id is null`;
    },
    async open(runId, fileId) {
      const id = idOf(fileId);
      const row = id ? await find([runId], id) : undefined;
      return row ? openRow(row) : undefined;
    },
    async sweep() {
      await sql`delete from files where run_id is null and created_at < now() - ${STAGED_MAX_AGE}::interval`;
      const rows = await sql`select storage_key from file_deletions order by created_at limit 1000`;
      const keys = rows.map((row) => String(row.storageKey));
      if (keys.length === 0) return 0;
      await blobs.remove(keys);
      await sql`delete from file_deletions where storage_key = any(${keys}::text[])`;
      return keys.length;
    },
    inTransaction(tx, run) {
      const keys: string[] = [];
      const signal = new AbortController().signal;
      return {
        write: (options, body) => write(run, signal, options, body, tx, (key) => keys.push(key)),
        discard: async () => {
          if (keys.length > 0) await blobs.remove(keys.splice(0));
        },
      };
    },
  };
}
