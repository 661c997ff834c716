import { describe, expect, it } from 'vitest';
import { diffLines, toHunks } from './line-diff.ts';

const signs = (before: string, after: string) =>
  diffLines(before, after).map(
    (line) => `${line.kind === 'add' ? '+' : line.kind === 'del' ? '-' : ' '}${line.text}`,
  );

describe('diffLines', () => {
  it('keeps common lines and shows a changed line as removed then added', () => {
    expect(signs('a\nb\nc', 'a\nB\nc')).toEqual([' a', '-b', '+B', ' c']);
  });

  it('finds the longest common subsequence, not just prefix and suffix', () => {
    expect(signs('x\na\ny\nb\nz', 'a\nq\nb')).toEqual(['-x', ' a', '-y', '+q', ' b', '-z']);
  });

  it('handles empty sides and identical texts', () => {
    expect(signs('', 'a\nb')).toEqual(['+a', '+b']);
    expect(signs('a', '')).toEqual(['-a']);
    expect(signs('same\ntext', 'same\ntext')).toEqual([' same', ' text']);
  });

  it('numbers lines on each side', () => {
    const [kept, removed, added] = diffLines('a\nb', 'a\nc');
    expect(kept).toMatchObject({ oldNo: 1, newNo: 1 });
    expect(removed).toMatchObject({ kind: 'del', oldNo: 2 });
    expect(added).toMatchObject({ kind: 'add', newNo: 2 });
  });
});

describe('toHunks', () => {
  it('folds unchanged stretches beyond the context and counts what it left out', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const after = before.replace('line 10', 'line ten');
    const hunks = toHunks(diffLines(before, after), 2);
    expect(hunks).toHaveLength(1);
    expect(hunks[0]?.skipped).toBe(8);
    expect(hunks[0]?.lines.map((line) => line.text)).toEqual([
      'line 8',
      'line 9',
      'line 10',
      'line ten',
      'line 11',
      'line 12',
    ]);
  });

  it('has no hunks when nothing changed', () => {
    expect(toHunks(diffLines('a\nb', 'a\nb'))).toEqual([]);
  });
});
