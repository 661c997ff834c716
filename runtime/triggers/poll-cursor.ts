import type { PolledItem, PollWatermark } from '../../connectors/index.ts';

// Which items of one poll are new, and where the poll has got to afterwards. Pure: poll.ts reads the state row,
// calls selectNewItems with what the connector listed, and commits the result with the runs.

/** Items handled that are remembered by id (the newest by (at, id)), beyond which the floor rises. */
export const SEEN_LIMIT = 500;
/** Most items one poll starts runs for; the rest (the newer ones) are new on the next poll. */
export const POLL_BATCH_LIMIT = 100;
/** The seen list never grows beyond this, even while a backlog keeps the floor from rising. */
const SEEN_HARD_LIMIT = SEEN_LIMIT + 4 * POLL_BATCH_LIMIT;

export type SeenItem = { id: string; at: number };

export type PollCursor = {
  /** The newest item handled so far (what the connector gets as `after`); undefined until one was seen. */
  watermark: PollWatermark | undefined;
  /** Items at or below the floor are old, whether or not their id is remembered. */
  floor: PollWatermark | undefined;
  /** Ids handled above the floor (at most SEEN_HARD_LIMIT), so items listed late or sharing a timestamp are judged by id. */
  seen: SeenItem[];
};

export type PollSelection<Data> = {
  /** The items to start runs for, oldest first. */
  fire: PolledItem<Data>[];
  /** New items left for the next poll (over POLL_BATCH_LIMIT). */
  deferred: number;
  cursor: PollCursor;
};

export const compareMarks = (a: PollWatermark, b: PollWatermark): number =>
  a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const newest = (marks: readonly PollWatermark[]): PollWatermark | undefined =>
  marks.reduce<PollWatermark | undefined>(
    (best, mark) => (!best || compareMarks(mark, best) > 0 ? { at: mark.at, id: mark.id } : best),
    undefined,
  );

/** One entry per id (the first listed wins: a vendor listing an item twice means one item). */
function distinct<Data>(items: readonly PolledItem<Data>[]): PolledItem<Data>[] {
  const byId = new Map<string, PolledItem<Data>>();
  for (const item of items) if (!byId.has(item.id)) byId.set(item.id, item);
  return [...byId.values()];
}

/**
 * Keeps the newest SEEN_LIMIT entries; the newest entry dropped becomes the floor. While new items wait
 * (`pendingOldest`), entries at or above the oldest of them are kept (up to SEEN_HARD_LIMIT), so the floor never
 * rises over an item that has not been handled yet.
 */
function trim(
  seen: SeenItem[],
  floor: PollWatermark | undefined,
  pendingOldest: PollWatermark | undefined,
): { seen: SeenItem[]; floor: PollWatermark | undefined } {
  const sorted = [...seen].sort((a, b) => compareMarks(b, a));
  let keep = Math.min(sorted.length, SEEN_LIMIT);
  if (pendingOldest) {
    while (keep < sorted.length && keep < SEEN_HARD_LIMIT) {
      const next = sorted[keep];
      if (!next || compareMarks(next, pendingOldest) < 0) break;
      keep += 1;
    }
  }
  const dropped = newest(sorted.slice(keep));
  const raised = dropped && (!floor || compareMarks(dropped, floor) > 0) ? dropped : floor;
  return { seen: sorted.slice(0, keep), floor: raised };
}

/**
 * The first poll after activation (or after the vendor's ordering started over): everything listed now is
 * recorded without a run, except the newest `backfill` items, which fire oldest first. Items older than the oldest
 * listed one are old from then on.
 */
export function recordFirstPoll<Data>(
  listed: readonly PolledItem<Data>[],
  backfill: number,
): PollSelection<Data> {
  const items = distinct(listed).sort(compareMarks);
  const fire = backfill > 0 ? items.slice(-Math.min(backfill, POLL_BATCH_LIMIT)) : [];
  const oldest = items[0];
  const { seen, floor } = trim(
    items.map((item) => ({ id: item.id, at: item.at })),
    // Below the oldest listed timestamp: an item sharing it, listed later, is judged by its id.
    oldest ? { at: oldest.at, id: '' } : undefined,
    undefined,
  );
  return { fire, deferred: 0, cursor: { watermark: newest(items), floor, seen } };
}

/**
 * A later poll: an item is new when it is above the floor and its id was not handled before, whatever its
 * position relative to the watermark (items sharing its timestamp, items an API lists late). The watermark
 * item itself need not be listed any more: nothing is judged by where it is. At most POLL_BATCH_LIMIT items fire,
 * oldest first.
 */
export function selectNewItems<Data>(
  cursor: PollCursor,
  listed: readonly PolledItem<Data>[],
): PollSelection<Data> {
  const seenIds = new Set(cursor.seen.map((entry) => entry.id));
  const { floor } = cursor;
  const fresh = distinct(listed)
    .filter((item) => !seenIds.has(item.id) && (!floor || compareMarks(item, floor) > 0))
    .sort(compareMarks);
  const fire = fresh.slice(0, POLL_BATCH_LIMIT);
  const waiting = fresh[POLL_BATCH_LIMIT];
  const trimmed = trim(
    [...cursor.seen, ...fire.map((item) => ({ id: item.id, at: item.at }))],
    floor,
    waiting ? { at: waiting.at, id: waiting.id } : undefined,
  );
  return {
    fire,
    deferred: fresh.length - fire.length,
    cursor: {
      watermark: newest([...(cursor.watermark ? [cursor.watermark] : []), ...fire]),
      floor: trimmed.floor,
      seen: trimmed.seen,
    },
  };
}
