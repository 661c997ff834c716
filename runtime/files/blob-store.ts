import type { Sql, TransactionSql } from '../../db/index.ts';

/** One stored file as a blob store sees it. */
export type StoredBlob = { id: string; key: string | null };

/** Where file bytes live: Postgres chunks (the default) or an S3 bucket. */
export type BlobStore = {
  kind: 'postgres' | 's3';
  /** The object key of a new file (null when the bytes live in the database). */
  keyFor(runId: string, fileId: string): string | null;
  /**
   * Stores the pieces in order; rejects (leaving nothing usable) when `chunks` throws. `db`: the transaction the
   * file's row was written in (Postgres chunks are written in it; S3 ignores it).
   */
  put(
    blob: StoredBlob,
    chunks: AsyncIterable<Buffer>,
    signal: AbortSignal,
    db?: Sql | TransactionSql,
  ): Promise<void>;
  /** The bytes, read piece by piece as the stream is pulled. */
  open(blob: StoredBlob): Promise<ReadableStream<Uint8Array>>;
  /** Deletes objects whose rows are gone (a no-op for Postgres: its chunks go with the row). */
  remove(keys: readonly string[]): Promise<void>;
};
