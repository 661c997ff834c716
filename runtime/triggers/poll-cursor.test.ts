import { describe, expect, it } from 'vitest';
import {
  POLL_BATCH_LIMIT,
  type PollCursor,
  recordFirstPoll,
  SEEN_LIMIT,
  selectNewItems,
} from './poll-cursor.ts';

const item = (id: string, at: number) => ({ id, at, data: { id } });
const ids = (items: { id: string }[]) => items.map((entry) => entry.id);

/** Polls `lists` in turn from a first poll of `initial`; returns the ids fired per poll. */
function pollAll(initial: ReturnType<typeof item>[], ...lists: ReturnType<typeof item>[][]): string[][] {
  let cursor: PollCursor = recordFirstPoll(initial, 0).cursor;
  return lists.map((listed) => {
    const selection = selectNewItems(cursor, listed);
    cursor = selection.cursor;
    return ids(selection.fire);
  });
}

describe('poll cursor', () => {
  it('the first poll records without firing; backfill fires the newest N, oldest first', () => {
    const listed = [item('c', 3), item('a', 1), item('b', 2)];
    expect(recordFirstPoll(listed, 0).fire).toEqual([]);
    expect(ids(recordFirstPoll(listed, 2).fire)).toEqual(['b', 'c']);
    expect(recordFirstPoll(listed, 0).cursor.watermark).toEqual({ at: 3, id: 'c' });
    // Backfill fires once: the items are seen afterwards.
    const after = recordFirstPoll(listed, 2);
    expect(selectNewItems(after.cursor, listed).fire).toEqual([]);
  });

  it('items sharing the watermark timestamp are new (a smaller id too)', () => {
    expect(pollAll([item('m', 10)], [item('m', 10), item('a', 10), item('z', 10)])).toEqual([['a', 'z']]);
  });

  it('an item the API lists late, older than the watermark, still fires once', () => {
    expect(
      pollAll(
        [item('a', 1), item('b', 2)],
        [item('a', 1), item('b', 2), item('d', 5)],
        [item('c', 3), item('a', 1), item('d', 5), item('b', 2)],
        [item('c', 3), item('d', 5)],
      ),
    ).toEqual([['d'], ['c'], []]);
  });

  it('a missing anchor item falls back to the timestamp: nothing older is re-emitted', () => {
    // The watermark item "c" is deleted at the vendor; "a" and "b" stay old, "d" is new.
    expect(
      pollAll([item('a', 1), item('b', 2), item('c', 3)], [item('a', 1), item('b', 2), item('d', 4)]),
    ).toEqual([['d']]);
  });

  it('an item older than anything the first poll saw is old; one sharing the oldest timestamp is new', () => {
    expect(pollAll([item('b', 5), item('c', 6)], [item('a', 1), item('b', 5), item('c', 6)])).toEqual([[]]);
    expect(pollAll([item('b', 5)], [item('a', 5), item('b', 5)])).toEqual([['a']]);
  });

  it('an id listed twice in one poll, or re-listed with a new timestamp, fires once', () => {
    expect(pollAll([], [item('x', 1), item('x', 1)], [item('x', 9)])).toEqual([['x'], []]);
  });

  it('one poll fires at most the batch limit, oldest first; the rest fire on the next polls', () => {
    const many = Array.from({ length: POLL_BATCH_LIMIT * 2 + 10 }, (_, index) =>
      item(`i${String(index).padStart(4, '0')}`, 1_000 + index),
    );
    const shuffled = [...many].reverse();
    const fired = pollAll([item('start', 1)], shuffled, shuffled, shuffled, shuffled);
    expect(fired.map((batch) => batch.length)).toEqual([POLL_BATCH_LIMIT, POLL_BATCH_LIMIT, 10, 0]);
    expect(fired.flat()).toEqual(ids(many));
  });

  it('the seen ids stay bounded, and items below the risen floor stay old', () => {
    let cursor = recordFirstPoll([], 0).cursor;
    const all: ReturnType<typeof item>[] = [];
    let fired = 0;
    for (let round = 0; round < 12; round++) {
      for (let n = 0; n < POLL_BATCH_LIMIT; n++) all.push(item(`r${round}-${n}`, round * 1_000 + n));
      const selection = selectNewItems(cursor, all);
      fired += selection.fire.length;
      cursor = selection.cursor;
      expect(cursor.seen.length).toBeLessThanOrEqual(SEEN_LIMIT);
    }
    expect(fired).toBe(all.length);
    // Every item is listed again (an API that forgets its own cursor): none fires.
    expect(selectNewItems(cursor, all).fire).toEqual([]);
  });
});
