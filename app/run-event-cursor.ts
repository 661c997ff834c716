import type { Sql } from '../db/index.ts';

/**
 * Reads the engine's run events after the last one handled, a range of at most `batchSize` events at a time: each
 * range is fixed first (the next events by `seq`), then `read` filters and shapes the rows inside it, so a reader
 * that wants few of the events still moves past the rest. The first call only notes the newest event (a process
 * handles what happens after it starts). Concurrent calls share one read, so no event is handled twice.
 */
export function createRunEventCursor<Row>(options: {
  sql: Sql;
  /** The rows of the events with `after < seq <= upTo`, in the order `handle` should see them. */
  read(after: bigint, upTo: bigint): Promise<Row[]>;
  handle(row: Row): void;
  batchSize: number;
  /** Batches per call at most; the rest waits for the next call. */
  maxBatches: number;
  /** Checked after each batch: true ends the call there. */
  stopped?(): boolean;
}): { catchUp(): Promise<void> } {
  let after: bigint | undefined;
  let running: Promise<void> | undefined;

  async function nextRange(from: bigint): Promise<{ upTo: bigint; events: number } | undefined> {
    const [bound] = await options.sql`
      select max(seq)::text as up_to, count(*)::int as events
      from (select seq from run_events where seq > ${from.toString()}::bigint order by seq limit ${options.batchSize}) s`;
    if (!bound?.upTo) return undefined;
    return { upTo: BigInt(String(bound.upTo)), events: Number(bound.events) };
  }

  async function catchUp(): Promise<void> {
    if (after === undefined) {
      const [newest] = await options.sql`select coalesce(max(seq), 0)::text as seq from run_events`;
      after = BigInt(String(newest?.seq ?? '0'));
      return;
    }
    for (let batch = 0; batch < options.maxBatches; batch++) {
      const range = await nextRange(after);
      if (!range) return;
      const rows = await options.read(after, range.upTo);
      for (const row of rows) options.handle(row);
      after = range.upTo;
      if (range.events < options.batchSize || options.stopped?.()) return;
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
