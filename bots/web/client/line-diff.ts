/** One line of a line diff: kept in both, only in the old text, or only in the new one. */
export type DiffLine = { kind: 'same' | 'removed' | 'added'; text: string };

/** Above this many cells the middle is shown as removed-then-added instead of aligned (a huge rewrite). */
const MAX_LCS_CELLS = 4_000_000;

/**
 * The lines of `before` and `after` aligned by their longest common subsequence: unchanged lines once, the rest as
 * removed or added, in order. The common prefix and suffix are taken off first, so a small change in a large
 * document costs little.
 */
export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore -= 1;
    endAfter -= 1;
  }
  const head = before.slice(0, start).map((text): DiffLine => ({ kind: 'same', text }));
  const tail = before.slice(endBefore).map((text): DiffLine => ({ kind: 'same', text }));
  const a = before.slice(start, endBefore);
  const b = after.slice(start, endAfter);
  return [...head, ...middleDiff(a, b), ...tail];
}

function middleDiff(a: readonly string[], b: readonly string[]): DiffLine[] {
  const removed = (text: string): DiffLine => ({ kind: 'removed', text });
  const added = (text: string): DiffLine => ({ kind: 'added', text });
  if (a.length === 0 || b.length === 0 || a.length * b.length > MAX_LCS_CELLS)
    return [...a.map(removed), ...b.map(added)];
  // lengths[i][j]: the LCS length of a[i..] and b[j..], in one flat array of (a.length+1) × (b.length+1).
  const width = b.length + 1;
  const lengths = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lengths[i * width + j] =
        a[i] === b[j]
          ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      lines.push({ kind: 'same', text: a[i] ?? '' });
      i += 1;
      j += 1;
    } else if ((lengths[(i + 1) * width + j] ?? 0) >= (lengths[i * width + j + 1] ?? 0)) {
      lines.push(removed(a[i] ?? ''));
      i += 1;
    } else {
      lines.push(added(b[j] ?? ''));
      j += 1;
    }
  }
  for (; i < a.length; i += 1) lines.push(removed(a[i] ?? ''));
  for (; j < b.length; j += 1) lines.push(added(b[j] ?? ''));
  return lines;
}

/** A workflow document as the lines a diff compares: pretty JSON, two-space indents. */
export const documentLines = (document: unknown): string[] => JSON.stringify(document, null, 2).split('\n');

export type DiffHunk =
  | { kind: 'lines'; lines: DiffLine[] }
  /** Unchanged lines left out between changes. */
  | { kind: 'gap'; count: number };

/** The diff with long unchanged runs folded, keeping `context` lines around each change. */
export function foldUnchanged(lines: readonly DiffLine[], context = 3): DiffHunk[] {
  const keep = lines.map(() => false);
  lines.forEach((line, index) => {
    if (line.kind === 'same') return;
    for (let k = Math.max(0, index - context); k <= Math.min(lines.length - 1, index + context); k += 1)
      keep[k] = true;
  });
  const hunks: DiffHunk[] = [];
  let index = 0;
  while (index < lines.length) {
    const start = index;
    const kept = keep[index];
    while (index < lines.length && keep[index] === kept) index += 1;
    hunks.push(
      kept ? { kind: 'lines', lines: lines.slice(start, index) } : { kind: 'gap', count: index - start },
    );
  }
  return hunks;
}
