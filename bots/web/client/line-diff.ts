/** One line of a diff: kept, added (only in the new text) or removed (only in the old). */
export type DiffLine = { kind: 'same' | 'add' | 'del'; text: string; oldNo?: number; newNo?: number };

/** A run of changed lines with some unchanged ones around them; `skipped` counts unchanged lines left out before. */
export type DiffHunk = { skipped: number; lines: DiffLine[] };

/** Above this many cells the LCS table is not built: the whole old text is shown removed and the new added. */
const MAX_CELLS = 4_000_000;

/**
 * A line diff of `before` and `after` by longest common subsequence (common prefix and suffix trimmed first,
 * so a small change to a big document stays cheap).
 */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const lines: DiffLine[] = [];
  const same = (i: number, j: number) =>
    lines.push({ kind: 'same', text: a[i] ?? '', oldNo: i + 1, newNo: j + 1 });
  for (let i = 0; i < start; i += 1) same(i, i);
  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_CELLS) {
    for (let i = start; i < endA; i += 1) lines.push({ kind: 'del', text: a[i] ?? '', oldNo: i + 1 });
    for (let j = start; j < endB; j += 1) lines.push({ kind: 'add', text: b[j] ?? '', newNo: j + 1 });
  } else {
    // lcs[i][j]: the longest common subsequence of a[start+i..endA) and b[start+j..endB).
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i -= 1)
      for (let j = m - 1; j >= 0; j -= 1)
        lcs[i * width + j] =
          a[start + i] === b[start + j]
            ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1
            : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[start + i] === b[start + j]) {
        same(start + i, start + j);
        i += 1;
        j += 1;
      } else if (j < m && (i === n || (lcs[i * width + j + 1] ?? 0) >= (lcs[(i + 1) * width + j] ?? 0))) {
        lines.push({ kind: 'add', text: b[start + j] ?? '', newNo: start + j + 1 });
        j += 1;
      } else {
        lines.push({ kind: 'del', text: a[start + i] ?? '', oldNo: start + i + 1 });
        i += 1;
      }
    }
  }
  for (let k = 0; endA + k < a.length; k += 1) same(endA + k, endB + k);
  return orderRemovalsFirst(lines);
}

/** Within each changed block, removed lines come before added ones (as people read a diff). */
function orderRemovalsFirst(lines: DiffLine[]): DiffLine[] {
  const ordered: DiffLine[] = [];
  let block: DiffLine[] = [];
  const flush = () => {
    ordered.push(
      ...block.filter((line) => line.kind === 'del'),
      ...block.filter((line) => line.kind === 'add'),
    );
    block = [];
  };
  for (const line of lines) {
    if (line.kind === 'same') {
      flush();
      ordered.push(line);
    } else block.push(line);
  }
  flush();
  return ordered;
}

/** The changed lines with `context` unchanged lines around each change; nothing when nothing changed. */
export function toHunks(lines: DiffLine[], context = 3): DiffHunk[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((line, index) => {
    if (line.kind === 'same') return;
    for (let k = Math.max(0, index - context); k <= Math.min(lines.length - 1, index + context); k += 1)
      keep[k] = true;
  });
  const hunks: DiffHunk[] = [];
  let skipped = 0;
  let current: DiffHunk | undefined;
  lines.forEach((line, index) => {
    if (!keep[index]) {
      skipped += 1;
      current = undefined;
      return;
    }
    if (!current) {
      current = { skipped, lines: [] };
      hunks.push(current);
      skipped = 0;
    }
    current.lines.push(line);
  });
  return hunks;
}
