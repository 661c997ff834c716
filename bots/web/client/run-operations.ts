import type { RunDetail } from '../../workflow-port.ts';
import { getJson, postJson } from './api.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';

// The run page's operations on the whole run: cancel one that has not settled, and retry every run that failed the
// same way (its failure group, as GET /chat/api/runs/failed groups them). What they did stays shown across the
// page's live re-renders, so it is kept in `RunOperationsState`.

type Failure = { runId: string; group: string };
type RetryFailedResult = {
  retried: { runId: string }[];
  notRetried: { runId: string; reason: string }[];
  more: boolean;
};

/** How many failures of a workflow are read to find a run's group and count its members. */
const FAILURES_SCAN = 200;
/** The most runs one retry-all asks for (the server's MAX_RETRY_FAILED). */
const RETRY_LIMIT = 100;

type FailureGroup = { id: string; count: number };

export type RunOperationsState = {
  cancelled?: string | undefined;
  /** The failed run's group and how many recent failures share it; null when it has none to retry together. */
  group?: FailureGroup | null | undefined;
  groupLoad?: Promise<FailureGroup | null> | undefined;
  retriedAll?: RetryFailedResult | undefined;
};

const UNSETTLED = new Set(['queued', 'running', 'waiting']);

const runLink = (runId: string) => h('a', { href: `#/runs/${encodeURIComponent(runId)}` }, runId);

/** "Cancel run" while the run is queued, running or waiting; after it, what the server answered. */
export function cancelSection(run: RunDetail, state: RunOperationsState): HTMLElement | null {
  const outcome = h('div', { role: 'status', 'data-testid': 'cancel-outcome' });
  if (state.cancelled) outcome.append(h('p', {}, state.cancelled));
  if (!UNSETTLED.has(run.status)) return state.cancelled ? outcome : null;
  const cancel = h('button', { type: 'button', class: 'danger', 'data-testid': 'cancel-run' }, 'Cancel run');
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    outcome.replaceChildren(h('p', { class: 'muted' }, 'Cancelling…'));
    postJson<{ status: string }>(`/chat/api/runs/${encodeURIComponent(run.id)}/cancel`, {})
      .then(({ status }) => {
        state.cancelled =
          status === 'cancelled'
            ? 'The run was cancelled.'
            : `The run had already finished (${status}); nothing was cancelled.`;
        outcome.replaceChildren(h('p', {}, state.cancelled));
      })
      .catch((error: unknown) => {
        cancel.disabled = false;
        outcome.replaceChildren(errorNote(error));
      });
  });
  return h('div', { class: 'run-cancel' }, h('div', { class: 'actions' }, cancel), outcome);
}

async function loadGroup(run: RunDetail): Promise<FailureGroup | null> {
  const { failures } = await getJson<{ failures: Failure[] }>(
    `/chat/api/runs/failed?workflowId=${encodeURIComponent(run.workflowId)}&limit=${FAILURES_SCAN}`,
  );
  const group = failures.find((failure) => failure.runId === run.id)?.group;
  if (!group) return null;
  const count = failures.filter((failure) => failure.group === group).length;
  return count > 1 ? { id: group, count } : null;
}

function retriedOutcome(result: RetryFailedResult): HTMLElement {
  const { retried, notRetried } = result;
  return h(
    'div',
    { 'data-testid': 'retried-all' },
    h('p', {}, retried.length === 1 ? 'Retried 1 run:' : `Retried ${retried.length} runs:`),
    retried.length
      ? h('ul', { class: 'retried-runs' }, ...retried.map((entry) => h('li', {}, runLink(entry.runId))))
      : null,
    notRetried.length
      ? h(
          'p',
          { class: 'muted' },
          `Not retried: ${notRetried.map((entry) => `${entry.runId} (${entry.reason})`).join('; ')}`,
        )
      : null,
    result.more
      ? h('p', { class: 'muted' }, 'More runs failed the same way: press again for the next ones.')
      : null,
  );
}

/**
 * On a failed run whose failure group has other failed runs: "Retry all N runs that failed the same way" (each
 * resumes at its failed step on the workflow's newest version). `restart` follows this run again once retried.
 */
export function failureGroupSection(
  run: RunDetail,
  state: RunOperationsState,
  restart: () => void,
): HTMLElement | null {
  const status = h('div', { role: 'status' });
  if (state.retriedAll) status.append(retriedOutcome(state.retriedAll));
  const section = h(
    'section',
    { class: 'panel retry-group', 'aria-label': 'Runs that failed the same way' },
    status,
  );
  if (run.status !== 'failed') return state.retriedAll ? section : null;
  const offer = (group: FailureGroup) => {
    const button = h(
      'button',
      { type: 'button', class: 'primary', 'data-testid': 'retry-group' },
      `Retry all ${group.count} runs that failed the same way`,
    );
    button.addEventListener('click', () => {
      button.disabled = true;
      status.replaceChildren(h('p', { class: 'muted' }, 'Retrying…'));
      postJson<RetryFailedResult>('/chat/api/runs/retry-failed', {
        group: group.id,
        limit: Math.min(group.count, RETRY_LIMIT),
      })
        .then((result) => {
          state.retriedAll = result;
          state.group = undefined;
          state.groupLoad = undefined;
          restart();
        })
        .catch((error: unknown) => {
          button.disabled = false;
          status.replaceChildren(errorNote(error));
        });
    });
    section.prepend(
      h('h2', {}, 'Runs that failed the same way'),
      h(
        'p',
        { class: 'muted' },
        `${group.count} recent runs of this workflow failed at the same step with the same error. Each resumes at its failed step on the workflow’s newest version.`,
      ),
      h('div', { class: 'actions' }, button),
    );
  };
  if (state.group) {
    offer(state.group);
    return section;
  }
  if (state.group === null) return state.retriedAll ? section : null;
  // Asked once per page: a re-render while it is asked waits for the same answer.
  const load =
    state.groupLoad ??
    loadGroup(run).then((group) => {
      state.group = group;
      return group;
    });
  state.groupLoad = load;
  const pending = h('div', { 'data-testid': 'failure-group' });
  load
    .then((group) => {
      if (group) {
        offer(group);
        pending.replaceWith(section);
      } else pending.remove();
    })
    .catch((error: unknown) => {
      state.groupLoad = undefined;
      pending.replaceChildren(errorNote(error));
    });
  return pending;
}
