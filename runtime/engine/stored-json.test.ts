import { describe, expect, it } from 'vitest';
import { MAX_STORED_DEPTH, toStoredJson, UnstorableValueError } from './stored-json.ts';

describe('toStoredJson', () => {
  it('replaces NUL and lone surrogates (which jsonb refuses) and keeps escaped backslashes and real pairs', () => {
    const stored = toStoredJson({
      a: 'x\u0000y',
      b: '\ud800',
      c: '\\u0000',
      d: '😀',
      e: '\udc00z',
      'k\u0000': 1,
    });
    expect(JSON.parse(stored.text)).toEqual({
      a: 'x\ufffdy',
      b: '\ufffd',
      c: '\\u0000',
      d: '😀',
      e: '\ufffdz',
      'k\ufffd': 1,
    });
    expect(stored.bytes).toBe(Buffer.byteLength(stored.text));
  });

  it('refuses what JSON cannot hold: BigInts, cycles, nesting past the limit', () => {
    let deep: unknown = 1;
    for (let level = 0; level <= MAX_STORED_DEPTH; level++) deep = [deep];
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => toStoredJson(deep)).toThrow(UnstorableValueError);
    expect(() => toStoredJson({ n: 1n })).toThrow(/BigInt/);
    expect(() => toStoredJson(cycle)).toThrow(/circular/);
    let atLimit: unknown = 1;
    for (let level = 1; level < MAX_STORED_DEPTH; level++) atLimit = [atLimit];
    expect(toStoredJson(atLimit).text.startsWith('[[')).toBe(true);
  });
});
