import { formatFileSize } from '../../proposal-view.ts';
import type { AgentCallView, RunStepFile, StepApprovalView } from '../../workflow-port.ts';
import { postJson } from './api.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';

// The parts of a run page's step: its files, a core.agent step's tool calls, a pending approval's card.

/**
 * Files by name, type and size, each a download link (an attachment the server serves as nosniff) when it has
 * an `href`.
 */
export function renderFiles(
  files: (Omit<RunStepFile, 'href'> & { href?: string | undefined })[],
): HTMLElement {
  return h(
    'ul',
    { class: 'files', 'aria-label': 'Files' },
    ...files.map((file) =>
      h(
        'li',
        { 'data-testid': 'step-file' },
        file.href ? h('a', { href: file.href, download: file.name }, file.name) : h('span', {}, file.name),
        ' ',
        h('span', { class: 'file-meta' }, `${file.contentType}, ${formatFileSize(file.size)}`),
      ),
    ),
  );
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function approvalNote(approval: NonNullable<AgentCallView['approval']>): string {
  if (approval.decision === 'pending') return 'waiting for approval';
  const waited = approval.waitedMs === undefined ? '' : ` after ${formatDuration(approval.waitedMs)}`;
  return `${approval.decision}${waited}`;
}

/** A core.agent step's tool calls: name, status, duration, approval wait, and short input and result. */
export function renderAgentCalls(calls: AgentCallView[]): HTMLElement {
  return h(
    'ol',
    { class: 'agent-calls', 'aria-label': 'Tool calls' },
    ...calls.map((call) =>
      h(
        'li',
        { 'data-testid': 'agent-call', 'data-status': call.status },
        h(
          'code',
          { 'data-testid': 'agent-call-name' },
          call.kind === 'listing' ? `list tools (${call.name})` : call.name,
        ),
        ' ',
        h('span', { class: `badge status-${call.status}` }, call.status),
        call.durationMs === undefined
          ? null
          : h(
              'span',
              { class: 'muted', 'data-testid': 'agent-call-duration' },
              ` ${formatDuration(call.durationMs)}`,
            ),
        call.approval
          ? h(
              'span',
              { class: 'approval-note', 'data-testid': 'agent-call-approval' },
              ` · ${approvalNote(call.approval)}`,
            )
          : null,
        call.input
          ? h('div', { class: 'call-io' }, h('span', { class: 'muted' }, 'in: '), h('code', {}, call.input))
          : null,
        call.output
          ? h('div', { class: 'call-io' }, h('span', { class: 'muted' }, 'out: '), h('code', {}, call.output))
          : null,
      ),
    ),
  );
}

/** A pending approval: the question, the files it shows, and Approve / Reject (POST /api/approvals/:id). */
export function renderApprovalCard(approval: StepApprovalView): HTMLElement {
  const status = h('p', { class: 'muted', role: 'status' });
  const decide = (decision: 'approve' | 'reject') => async () => {
    status.textContent = 'Sending…';
    try {
      await postJson(`/api/approvals/${encodeURIComponent(approval.id)}`, { decision });
      status.textContent = decision === 'approve' ? 'Approved.' : 'Rejected.';
    } catch (error) {
      status.replaceChildren(errorNote(error));
    }
  };
  return h(
    'section',
    { class: 'card approval', 'data-testid': 'approval-card', 'aria-label': 'Approval' },
    h('p', {}, approval.message),
    approval.files.length > 0 ? renderFiles(approval.files) : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: decide('approve') }, 'Approve'),
      ' ',
      h('button', { type: 'button', class: 'secondary', onclick: decide('reject') }, 'Reject'),
    ),
    status,
  );
}
