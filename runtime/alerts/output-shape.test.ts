import { describe, expect, it } from 'vitest';
import {
  advanceShape,
  fieldPathsOf,
  SHAPE_ACCEPT_AFTER,
  SHAPE_MIN_PRESENT,
  type StepShape,
  topMissingPaths,
} from './output-shape.ts';

describe('step output shapes (field paths only)', () => {
  it('reads paths, not values, through arrays, within bounds', () => {
    const paths = fieldPathsOf({
      id: 7,
      customer: { email: 'a@b.c' },
      lines: [{ sku: 'x' }, { qty: 2 }],
      tags: ['a'],
    });
    expect([...paths].sort()).toEqual([
      'customer',
      'customer.email',
      'id',
      'lines[]',
      'lines[].qty',
      'lines[].sku',
      'tags[]',
    ]);
    expect(JSON.stringify([...paths])).not.toContain('a@b.c');
    expect(fieldPathsOf({ a: { b: { c: { d: { e: 1 } } } } }).has('a.b.c.d.e')).toBe(false);
    expect(fieldPathsOf({ ['k'.repeat(65)]: 1 }).size).toBe(0);
    expect(fieldPathsOf(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]))).size).toBe(
      200,
    );
    expect(fieldPathsOf('text').size).toBe(0);
    const keyedByData = fieldPathsOf({
      'ana@example.com': 1,
      '42': 2,
      '9f1c2d3e4b5a69788796a5b4': 3,
      'first name': 4,
      ok: 5,
    });
    expect([...keyedByData]).toEqual(['ok']);
  });

  it('counts a missing field only after it was there often enough, and accepts a new shape in the end', () => {
    const full = new Set(['a', 'b']);
    const less = new Set(['a']);
    let shape: StepShape = { present: {}, missing: {} };
    for (let i = 0; i < SHAPE_MIN_PRESENT - 1; i++) shape = advanceShape(shape, full);
    expect(Object.keys(advanceShape(shape, less).missing)).toEqual([]);
    shape = advanceShape(shape, full);
    shape = advanceShape(shape, less);
    expect(topMissingPaths(shape)).toEqual(['b']);
    expect(topMissingPaths(advanceShape(shape, full))).toEqual([]);
    for (let i = 1; i < SHAPE_ACCEPT_AFTER; i++) shape = advanceShape(shape, less);
    expect(topMissingPaths(shape)).toEqual([]);
  });

  it('names the top-most missing field, not each one below it', () => {
    expect(
      topMissingPaths({
        present: {},
        missing: { customer: 1, 'customer.email': 1, 'items[]': 1, 'items[].id': 1, 'x.y': 1 },
      }),
    ).toEqual(['customer', 'items[]', 'x.y']);
  });
});
