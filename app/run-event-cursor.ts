import type { Sql } from '../db/index.ts';

/**
 * Reads the engine's run events after the last one handled, in `seq` order, a batch at a time. The first call only
 * notes the newest event (a process handles what happens after it starts). Concurrent calls share one read, so
 * no event is handled twice.
 */
export function createRunEventCursor<Row extends { seq: string }>(options: {
  sql: Sql;
  /** The rows after `after` (at most `batchSize`, in seq order). */
  read(after: bigint, batchSize: number): Promise<Row[]>;
  handle(row: Row): void;
  batchSize: number;
  /** Batches per call at most; the rest waits for the next call. */
  maxBatches: number;
  /** Checked after each batch: true ends the call there. */
  stopped?(): boolean;
}): { catchUp(): Promise<void> } {
  let after: bigint | undefined;
  let running: Promise<void> | undefined;

  async function catchUp(): Promise<void> {
    if (after === undefined) {
      const [newest] = await options.sql`select coalesce(max(seq), 0)::text as seq from run_events`;
      after = BigInt(String(newest?.seq ?? '0'));
      return;
    }
    for (let batch = 0; batch < options.maxBatches; batch++) {
      const rows = await options.read(after, options.batchSize);
      for (const row of rows) options.handle(row);
      const last = rows.at(-1);
      if (last) after = BigInt(last.seq);
      if (rows.length < options.batchSize || options.stopped?.()) return;
    }
  }

  return {
    catchUp() {
      running ??= catchUp().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
