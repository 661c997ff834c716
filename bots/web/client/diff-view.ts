import { h } from './dom.ts';
import { documentLines, foldUnchanged, lineDiff } from './line-diff.ts';

const MARK = { same: '  ', removed: '- ', added: '+ ' } as const;

/**
 * A readable line diff of two workflow documents: a one-line summary, then the changed lines with a few lines of
 * context, `-` for removed and `+` for added (the marks are text, so they read out and copy as well as they show).
 */
export function renderDocumentDiff(
  before: unknown,
  after: unknown,
  labels: { before: string; after: string },
): HTMLElement {
  const lines = lineDiff(documentLines(before), documentLines(after));
  const removed = lines.filter((line) => line.kind === 'removed').length;
  const added = lines.filter((line) => line.kind === 'added').length;
  const summary =
    removed + added === 0
      ? `${labels.before} and ${labels.after} have the same document.`
      : `From ${labels.before} to ${labels.after}: ${removed} line${removed === 1 ? '' : 's'} removed, ${added} added.`;
  const body = h('pre', { class: 'diff', 'aria-label': `Changes from ${labels.before} to ${labels.after}` });
  for (const hunk of foldUnchanged(lines)) {
    if (hunk.kind === 'gap') {
      body.append(
        h('span', { class: 'diff-gap' }, `… ${hunk.count} unchanged line${hunk.count === 1 ? '' : 's'}\n`),
      );
      continue;
    }
    for (const line of hunk.lines)
      body.append(
        h('span', { class: `diff-${line.kind}`, 'data-diff': line.kind }, `${MARK[line.kind]}${line.text}\n`),
      );
  }
  return h(
    'div',
    { class: 'diff-view', 'data-testid': 'diff' },
    h('p', { class: 'diff-summary' }, summary),
    removed + added === 0 ? null : body,
  );
}
