import type { RunDetail, RunStepView } from '../../workflow-port.ts';
import { getJson, postJson, streamEvents } from './api.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';
import { cancelSection, failureGroupSection, type RunOperationsState } from './run-operations.ts';
import { formatDuration, renderAgentCalls, renderApprovalCard, renderFiles } from './run-steps.ts';
import { statusBadge } from './runs-page.ts';

// The run page: each step's status, attempts, duration, input (loaded when opened), output and files, skipped
// steps as skipped, a failure with its hint, and on the failed step "Retry from here" (on the run's version, or on
// the workflow's newest one); "Cancel run" while it has not settled and retrying every run that failed the same way
// (run-operations.ts). It follows the run live (SSE) and keeps what was opened across updates.

type StepDetail = { input: unknown };
type Marker = { truncated: true; bytes: number; href?: string };

const isMarker = (value: unknown): value is Marker =>
  typeof value === 'object' && value !== null && (value as { truncated?: unknown }).truncated === true;

const keyOf = (step: RunStepView) => `${step.nodeId ?? step.id}\u0000${step.path ?? ''}`;

/** What a re-render must keep: which parts were open, and the inputs already loaded. */
type PageState = { open: Set<string>; inputs: Map<string, unknown>; operations: RunOperationsState };

function jsonBlock(value: unknown, testId: string): HTMLElement {
  return h('pre', { class: 'json', 'data-testid': testId }, JSON.stringify(value, null, 2));
}

/** A <details> whose open state survives the page's live re-renders. */
function keptDetails(state: PageState, key: string, summary: string, body: () => HTMLElement): HTMLElement {
  const details = h('details', { 'data-part': key }, h('summary', {}, summary));
  const fill = () => {
    if (details.childElementCount === 1) details.append(body());
  };
  if (state.open.has(key)) {
    details.open = true;
    fill();
  }
  details.addEventListener('toggle', () => {
    if (details.open) {
      state.open.add(key);
      fill();
    } else state.open.delete(key);
  });
  return details;
}

function inputPart(run: RunDetail, step: RunStepView, state: PageState): HTMLElement {
  const key = `input:${keyOf(step)}`;
  return keptDetails(state, key, 'Input', () => {
    const slot = h('div', { 'data-testid': 'step-input' });
    const known = state.inputs.get(key);
    if (known !== undefined) {
      slot.append(jsonBlock(known, 'step-input-json'));
      return slot;
    }
    slot.append(h('p', { class: 'muted' }, 'Loading…'));
    const path = step.path ? `?path=${encodeURIComponent(step.path)}` : '';
    getJson<StepDetail>(
      `/chat/api/runs/${encodeURIComponent(run.id)}/steps/${encodeURIComponent(step.nodeId ?? step.id)}${path}`,
    )
      .then((detail) => {
        state.inputs.set(key, detail.input ?? null);
        slot.replaceChildren(jsonBlock(detail.input ?? null, 'step-input-json'));
      })
      .catch((error: unknown) => slot.replaceChildren(errorNote(error)));
    return slot;
  });
}

function outputPart(step: RunStepView, state: PageState): HTMLElement | null {
  if (step.output === undefined || step.output === null) return null;
  const output = step.output;
  return keptDetails(state, `output:${keyOf(step)}`, 'Output', () =>
    isMarker(output)
      ? h(
          'p',
          { 'data-testid': 'step-output' },
          `The output is ${Math.round(output.bytes / 1024)} KB, too large to show here. `,
          output.href
            ? h('a', { href: output.href, target: '_blank', rel: 'noopener' }, 'Open it whole')
            : null,
        )
      : h('div', { 'data-testid': 'step-output' }, jsonBlock(output, 'step-output-json')),
  );
}

function stepFacts(step: RunStepView): HTMLElement {
  const facts: string[] = [];
  if (step.attempt !== undefined && step.attempt > 0)
    facts.push(step.attempt === 1 ? '1 attempt' : `${step.attempt} attempts`);
  if (step.durationMs !== undefined) facts.push(formatDuration(step.durationMs));
  if (step.status === 'skipped') facts.push('skipped: its branch was not taken');
  return h(
    'span',
    { class: 'muted step-facts', 'data-testid': 'step-facts' },
    facts.length ? ` ${facts.join(' · ')}` : '',
  );
}

/** The failure: its message, code and hint (what the validator or the connector says to change). */
function failure(message: string, code: string | undefined, hint: string | undefined): HTMLElement {
  return h(
    'div',
    { class: 'error-note', 'data-testid': 'step-error' },
    h('p', { class: 'error' }, code ? h('code', {}, code) : null, code ? ' ' : null, message),
    hint ? h('p', { class: 'hint', 'data-testid': 'step-hint' }, `Hint: ${hint}`) : null,
  );
}

function retryActions(run: RunDetail, restart: () => void): HTMLElement {
  const status = h('div', { role: 'status' });
  const retry = (version: number | undefined) => (event: Event) => {
    const button = event.currentTarget as HTMLButtonElement;
    button.disabled = true;
    status.replaceChildren('Retrying…');
    postJson(`/chat/api/runs/${encodeURIComponent(run.id)}/retry`, version === undefined ? {} : { version })
      .then(restart)
      .catch((error: unknown) => {
        button.disabled = false;
        status.replaceChildren(errorNote(error));
      });
  };
  const newer =
    run.latestVersion !== undefined && run.version !== undefined && run.latestVersion > run.version;
  return h(
    'div',
    { class: 'retry' },
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', class: 'primary', onclick: retry(undefined), 'data-testid': 'retry-here' },
        'Retry from here',
      ),
      newer
        ? h(
            'button',
            { type: 'button', onclick: retry(run.latestVersion), 'data-testid': 'retry-latest' },
            `Retry from here on the newest version (v${run.latestVersion})`,
          )
        : null,
    ),
    newer
      ? null
      : h(
          'p',
          { class: 'muted' },
          `Resumes at this step on version ${run.version ?? '?'}; the steps before keep their outputs.`,
        ),
    status,
  );
}

function renderStep(run: RunDetail, step: RunStepView, state: PageState, restart: () => void): HTMLElement {
  const failedHere = run.status === 'failed' && step.status === 'failed';
  return h(
    'li',
    {
      class: `step step-${step.status}`,
      'data-testid': 'step',
      'data-step-id': step.id,
      'data-status': step.status,
    },
    h('div', { class: 'step-head' }, h('code', {}, step.id), ' ', statusBadge(step.status), stepFacts(step)),
    step.error ? failure(step.error, step.errorCode, step.errorHint) : null,
    failedHere ? retryActions(run, restart) : null,
    step.status === 'skipped' ? null : inputPart(run, step, state),
    outputPart(step, state),
    step.files?.length ? renderFiles(step.files) : null,
    step.agentCalls?.length ? renderAgentCalls(step.agentCalls) : null,
    step.approval ? renderApprovalCard(step.approval) : null,
  );
}

function renderRun(run: RunDetail, state: PageState, restart: () => void): HTMLElement[] {
  const took =
    run.startedAt && run.finishedAt
      ? formatDuration(Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt)))
      : undefined;
  const facts = [
    run.version === undefined ? undefined : `version ${run.version}`,
    run.triggerType ? `trigger: ${run.triggerType}` : undefined,
    run.startedAt ? `started ${new Date(run.startedAt).toLocaleString()}` : undefined,
    took ? `took ${took}` : undefined,
  ].filter((fact): fact is string => fact !== undefined);
  const nodes: Array<HTMLElement | null> = [
    h(
      'h1',
      { tabindex: '-1' },
      run.workflowName ? `Run of ${run.workflowName}` : `Run ${run.id}`,
      ' ',
      statusBadge(run.status),
    ),
    h(
      'p',
      { class: 'muted' },
      facts.join(' · '),
      run.workflowName ? ' · ' : '',
      run.workflowName
        ? h('a', { href: `#/workflows/${encodeURIComponent(run.workflowId)}` }, 'the workflow')
        : null,
    ),
    cancelSection(run, state.operations),
    failureGroupSection(run, state.operations, restart),
    h(
      'ol',
      { class: 'steps', 'aria-label': 'Steps' },
      ...run.steps.map((step) => renderStep(run, step, state, restart)),
    ),
    run.error
      ? h(
          'section',
          { class: 'panel', 'aria-label': 'Why the run failed', 'data-testid': 'run-error' },
          h('h2', {}, 'Why the run failed'),
          failure(run.error, run.errorCode, run.errorHint),
        )
      : null,
    run.output === undefined || run.output === null
      ? null
      : keptDetails(state, 'run-output', 'Run output', () => jsonBlock(run.output, 'run-output')),
  ];
  return nodes.filter((node): node is HTMLElement => node !== null);
}

/** Follows a run until it settles (or the page leaves, `signal`); a retry starts following it again. */
export async function runPage(main: HTMLElement, id: string, signal: AbortSignal): Promise<void> {
  const live = h('div', { 'aria-live': 'polite' });
  main.replaceChildren(live);
  const state: PageState = { open: new Set(), inputs: new Map(), operations: {} };
  const follow = async (): Promise<void> => {
    // A retried run's failed step has new input and output: what was loaded before is stale.
    const restart = () => {
      state.inputs.clear();
      void follow().catch((error: unknown) => live.replaceChildren(errorNote(error)));
    };
    await streamEvents(`/chat/api/runs/${encodeURIComponent(id)}/events`, { signal }, (event, data) => {
      if (event !== 'run') return;
      const focused = document.activeElement?.closest('[data-part]')?.getAttribute('data-part');
      live.replaceChildren(...renderRun(data as RunDetail, state, restart));
      if (focused) live.querySelector<HTMLElement>(`[data-part="${CSS.escape(focused)}"] summary`)?.focus();
    }).catch((error: unknown) => {
      if (!(error instanceof DOMException && error.name === 'AbortError')) throw error;
    });
  };
  await follow();
}
