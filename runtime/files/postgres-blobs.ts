import type { Sql } from '../../db/index.ts';
import type { BlobStore } from './blob-store.ts';

/** Pieces fetched per query when reading (about 1 MiB). */
const READ_BATCH = 4;

/** Bytes as rows of `file_chunks` (one per piece), deleted with their `files` row. */
export function createPostgresBlobs(sql: Sql): BlobStore {
  return {
    kind: 'postgres',
    keyFor: () => null,
    async put(blob, chunks, signal, db = sql) {
      let seq = 0;
      for await (const chunk of chunks) {
        signal.throwIfAborted();
        await db`insert into file_chunks (file_id, seq, data) values (${blob.id}, ${seq}, ${chunk})`;
        seq += 1;
      }
    },
    async open(blob) {
      let seq = 0;
      return new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            const rows = await sql`
              select data from file_chunks where file_id = ${blob.id} and seq >= ${seq} and seq < ${seq + READ_BATCH}
              order by seq`;
            for (const row of rows) controller.enqueue(new Uint8Array(row.data as Buffer));
            seq += READ_BATCH;
            if (rows.length < READ_BATCH) controller.close();
          },
        },
        // One batch at a time: the next is fetched only when the reader has taken this one.
        { highWaterMark: 1 },
      );
    },
    remove: async () => {},
  };
}
