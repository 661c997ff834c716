import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documentLines, foldUnchanged, lineDiff } from './line-diff.ts';

const sides = (lines: ReturnType<typeof lineDiff>) => ({
  before: lines.filter((line) => line.kind !== 'added').map((line) => line.text),
  after: lines.filter((line) => line.kind !== 'removed').map((line) => line.text),
});

describe('lineDiff', () => {
  it('marks a changed line as removed then added, and keeps the rest', () => {
    const before = documentLines({ name: 'greet', nodes: [{ id: 'a', with: { text: 'hi' } }] });
    const after = documentLines({ name: 'greet', nodes: [{ id: 'a', with: { text: 'hello' } }] });
    const diff = lineDiff(before, after);
    expect(diff.filter((line) => line.kind === 'removed').map((line) => line.text.trim())).toEqual([
      '"text": "hi"',
    ]);
    expect(diff.filter((line) => line.kind === 'added').map((line) => line.text.trim())).toEqual([
      '"text": "hello"',
    ]);
    expect(diff.filter((line) => line.kind === 'same')).toHaveLength(before.length - 1);
  });

  it('rebuilds both texts, with as many unchanged lines as a longest common subsequence', () => {
    const line = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), (before, after) => {
        const diff = lineDiff(before, after);
        expect(sides(diff)).toEqual({ before, after });
        // The LCS length, by the textbook recursion on small inputs.
        const memo = new Map<string, number>();
        const lcs = (i: number, j: number): number => {
          if (i === before.length || j === after.length) return 0;
          const key = `${i},${j}`;
          const known = memo.get(key);
          if (known !== undefined) return known;
          const value =
            before[i] === after[j] ? lcs(i + 1, j + 1) + 1 : Math.max(lcs(i + 1, j), lcs(i, j + 1));
          memo.set(key, value);
          return value;
        };
        expect(diff.filter((entry) => entry.kind === 'same')).toHaveLength(lcs(0, 0));
      }),
    );
  });

  it('folds long unchanged runs into gaps, keeping context around the changes', () => {
    const before = Array.from({ length: 40 }, (_, index) => `line ${index}`);
    const after = before.map((text, index) => (index === 20 ? 'changed' : text));
    const hunks = foldUnchanged(lineDiff(before, after), 2);
    expect(hunks.map((hunk) => (hunk.kind === 'gap' ? hunk.count : hunk.lines.length))).toEqual([18, 6, 17]);
  });
});
