import type { DryRunView, ProposalReply, Reply } from '../../../agent/index.ts';
import type { WorkflowDocument } from '../../../runtime/workflow/index.ts';
import {
  isOperationProposal,
  isPreviewableProposal,
  operationHeading,
  type PreviewableProposal,
  proposalFiles,
  proposalKind,
} from '../../proposal-view.ts';
import { getJson, postJson } from './api.ts';
import { renderDocumentDiff } from './diff-view.ts';
import { h } from './dom.ts';
import { renderWorkflowGraph } from './graph.ts';
import { renderFiles } from './run-steps.ts';

/** Where a card puts what the server answered (the outcome's replies go to the conversation below it). */
export type CardContext = { append(replies: Reply[]): void };

type Detail = { reply: ProposalReply; baseDocument: WorkflowDocument | null; dryRun: DryRunView | null };
type ResumeMode = 'from-failed-step' | 'rerun';

const STATUS_TEXT: Record<ProposalReply['proposal']['status'], string> = {
  pending: 'Waiting for a decision.',
  approved: 'Approved.',
  rejected: 'Rejected.',
  superseded: 'Replaced by a newer proposal: decide that one, or keep both from its card.',
};

/** A proposal as a card: heading, summary, diff and dry run, the choices it offers and its real outcome. */
export function renderProposalCard(reply: ProposalReply, context: CardContext): HTMLElement {
  const { proposal } = reply;
  const heading = isOperationProposal(reply)
    ? operationHeading(reply)
    : proposalKind(reply) === 'fix'
      ? `Proposed fix: ${reply.title}`
      : `Proposed workflow: ${reply.title}`;
  const card = h('section', {
    class: 'msg agent proposal',
    'aria-label': heading,
    'data-testid': 'proposal',
    'data-proposal-id': proposal.id,
    'data-status': proposal.status,
    'data-summary': reply.summary,
  });
  const resume =
    reply.type === 'fix_proposal' && proposal.status === 'pending' ? resumeChoice(proposal.id) : null;
  const parts: Array<HTMLElement | null> = [
    h('h2', {}, heading),
    replacesNote(reply, context),
    isPreviewableProposal(reply) ? previewBody(reply) : h('p', { class: 'summary-text' }, reply.summary),
    resume?.element ?? null,
    proposal.status === 'pending'
      ? decisionActions(proposal.id, context, () => resume?.value())
      : h('p', { class: 'decided', 'data-testid': 'decision-outcome' }, STATUS_TEXT[proposal.status]),
  ];
  card.append(...parts.filter((part): part is HTMLElement => part !== null));
  return card;
}

/** "This replaces proposal X" with "Keep both", which reopens X on the server (not just on this page). */
function replacesNote(reply: ProposalReply, context: CardContext): HTMLElement | null {
  const replaced = reply.proposal.replaces ?? [];
  if (replaced.length === 0 || reply.proposal.status !== 'pending') return null;
  const note = h('div', { class: 'replaces', 'data-testid': 'replaces' });
  const keep = h('button', { type: 'button', class: 'keep-both' }, 'Keep both');
  keep.addEventListener('click', () => {
    keep.disabled = true;
    void postJson<{ replies: Reply[] }>(
      `/chat/api/proposals/${encodeURIComponent(reply.proposal.id)}/keep-both`,
      {},
    ).then(
      ({ replies }) => {
        const refused = replies.find((next) => next.type === 'error');
        note.replaceChildren(
          h(
            'p',
            { role: refused ? 'alert' : 'status' },
            refused?.type === 'error'
              ? `Not kept: ${refused.message}`
              : `Kept both: proposal ${replaced.join(', ')} is open again.`,
          ),
        );
        context.append(replies.filter((next) => next.type !== 'error'));
      },
      (error: unknown) => {
        keep.disabled = false;
        note.append(h('p', { class: 'error', role: 'alert' }, String(error)));
      },
    );
  });
  note.append(
    h('p', {}, `This replaces proposal ${replaced.join(', ')}, which is closed unless you keep both.`),
    keep,
  );
  return note;
}

/** The summary without its "This replaces proposal X" lines: the card's own note says that, with its button. */
const withoutReplacesLines = (summary: string) =>
  summary
    .split('\n')
    .filter((line) => !line.startsWith('This replaces proposal '))
    .join('\n');

function previewBody(reply: PreviewableProposal): HTMLElement {
  const graph = h('div', { class: 'graph', 'data-testid': 'graph' }, 'Drawing the graph…');
  const changes = h('div', { class: 'changes', 'data-testid': 'changes' });
  const body = h(
    'div',
    { class: 'proposal-body' },
    h(
      'div',
      { class: 'summary' },
      h('p', {}, withoutReplacesLines(reply.summary)),
      filesList(reply),
      changes,
      h(
        'details',
        {},
        h('summary', {}, 'Workflow document'),
        h('pre', {}, JSON.stringify(reply.proposal.document, null, 2)),
      ),
    ),
    graph,
  );
  void renderWorkflowGraph(graph, reply.proposal.document);
  void getJson<Detail>(`/chat/api/proposals/${encodeURIComponent(reply.proposal.id)}`).then(
    (detail) => changes.replaceChildren(...renderChanges(reply, detail)),
    () => changes.replaceChildren(h('p', { class: 'muted' }, 'The diff and dry run could not be loaded.')),
  );
  return body;
}

/** The files the proposal's document holds; for a fix, each downloads from its run. */
function filesList(reply: PreviewableProposal): HTMLElement | null {
  const files = proposalFiles(reply);
  if (files.length === 0) return null;
  const { runId } = reply.proposal;
  return renderFiles(
    files.map((file) => ({
      ...file,
      ...(runId
        ? { href: `/api/runs/${encodeURIComponent(runId)}/files/${encodeURIComponent(file.id)}` }
        : {}),
    })),
  );
}

function renderChanges(reply: PreviewableProposal, detail: Detail): HTMLElement[] {
  const parts: HTMLElement[] = [];
  if (detail.baseDocument) {
    const version = reply.proposal.baseVersion;
    parts.push(
      h('p', { class: 'section-title' }, `Changes from version ${version ?? 'current'}`),
      renderDiff(detail.baseDocument, reply.proposal.document, {
        before: `version ${version ?? 'current'}`,
        after: 'this proposal',
      }),
    );
  } else if (reply.proposal.workflowId === null) {
    parts.push(h('p', { class: 'muted' }, 'A new workflow: no earlier version to compare with.'));
  }
  if (detail.dryRun) parts.push(renderDryRun(detail.dryRun));
  return parts;
}

/** Keys in the order a workflow document reads (the rest alphabetical), so stored key order never shows as a change. */
const KEY_ORDER = [
  'schemaVersion',
  'id',
  'name',
  'description',
  'uses',
  'trigger',
  'type',
  'vars',
  'nodes',
  'edges',
];
const rank = (key: string) => {
  const index = KEY_ORDER.indexOf(key);
  return index === -1 ? KEY_ORDER.length : index;
};
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, inner]) => [key, canonical(inner)]));
}

/** The two documents compared line by line (diff-view.ts), keys in one order so storage order never shows. */
export const renderDiff = (before: unknown, after: unknown, labels: { before: string; after: string }) =>
  renderDocumentDiff(canonical(before), canonical(after), labels);

function renderDryRun(dryRun: DryRunView): HTMLElement {
  return h(
    'div',
    { class: 'dry-run', 'data-testid': 'dry-run' },
    h(
      'p',
      { class: 'section-title' },
      'Dry run: ',
      h(
        'span',
        { class: dryRun.ok ? 'test-ok' : 'test-bad' },
        dryRun.ok ? 'every step passed' : 'a step failed',
      ),
    ),
    dryRun.steps.length
      ? h(
          'ul',
          { class: 'list' },
          ...dryRun.steps.map((step) =>
            h(
              'li',
              {},
              h('code', {}, step.id),
              ` ${step.status}`,
              step.error ? h('span', { class: 'error' }, `: ${errorText(step.error)}`) : null,
            ),
          ),
        )
      : null,
  );
}

const errorText = (error: unknown): string =>
  typeof error === 'string'
    ? error
    : typeof error === 'object' && error !== null && 'message' in error
      ? String((error as { message: unknown }).message)
      : JSON.stringify(error);

/** For a fix: what approving does with the failed run. */
function resumeChoice(proposalId: string): { element: HTMLElement; value(): ResumeMode } {
  const name = `resume-${proposalId}`;
  const option = (value: ResumeMode, label: string, checked: boolean) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name, value, ...(checked ? { checked: true } : {}) }),
      ` ${label}`,
    );
  const element = h(
    'fieldset',
    { class: 'resume-choice', 'data-testid': 'resume-choice' },
    h('legend', {}, 'After approving'),
    option('from-failed-step', 'Resume the failed run from the failed step', true),
    option('rerun', 'Re-run it from the start on the new version', false),
  );
  return {
    element,
    value: () =>
      (element.querySelector<HTMLInputElement>('input:checked')?.value as ResumeMode | undefined) ??
      'from-failed-step',
  };
}

/** Approve / Reject; the outcome shown is the server's (a refused decision says why, never "Approved."). */
function decisionActions(
  proposalId: string,
  context: CardContext,
  resume: () => ResumeMode | undefined,
): HTMLElement {
  const actions = h('div', { class: 'actions' });
  const decide = async (decision: 'approve' | 'reject') => {
    for (const button of actions.querySelectorAll('button')) button.disabled = true;
    const mode = decision === 'approve' ? resume() : undefined;
    try {
      const { replies } = await postJson<{ replies: Reply[] }>('/chat/api/decisions', {
        proposalId,
        decision,
        ...(mode ? { resume: mode } : {}),
      });
      const refused = replies.find((next) => next.type === 'error');
      const card = actions.closest<HTMLElement>('[data-testid="proposal"]');
      card?.querySelector('.resume-choice')?.setAttribute('disabled', '');
      actions.replaceWith(
        h(
          'p',
          {
            class: refused ? 'decided error' : 'decided',
            role: refused ? 'alert' : 'status',
            'data-testid': 'decision-outcome',
          },
          refused?.type === 'error'
            ? `Not decided: ${refused.message}${refused.hint ? ` ${refused.hint}` : ''}`
            : decision === 'approve'
              ? 'Approved.'
              : 'Rejected.',
        ),
      );
      if (card && !refused) {
        card.dataset.status = decision === 'approve' ? 'approved' : 'rejected';
        // Decided: keeping the replaced ones open is no longer this card's question.
        card.querySelector('.replaces')?.remove();
      }
      context.append(replies.filter((next) => next !== refused));
    } catch (error) {
      for (const button of actions.querySelectorAll('button')) button.disabled = false;
      actions.append(h('p', { class: 'error', role: 'alert' }, String(error)));
    }
  };
  actions.append(
    h('button', { type: 'button', class: 'approve', onclick: () => void decide('approve') }, 'Approve'),
    h('button', { type: 'button', class: 'reject', onclick: () => void decide('reject') }, 'Reject'),
  );
  return actions;
}
