import type { RunSummary, WorkflowSummary } from '../../workflow-port.ts';
import { getJson } from './api.ts';
import { h } from './dom.ts';
import { formatDuration } from './run-steps.ts';

// The runs list across workflows: filters (status, workflow, date range) and pages, all kept in the address
// (#/runs?status=failed&workflowId=…&from=2026-12-01&to=2026-12-07&offset=20), so a filtered page can be shared
// and the browser's back button steps through pages.

const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
const PAGE_SIZES = ['10', '20', '50', '100'] as const;
const DEFAULT_PAGE_SIZE = '20';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const statusBadge = (status: string) =>
  h('span', { class: `badge status-${status.replace(/[^a-z_]/g, '')}`, 'data-status': status }, status);

const durationOf = (run: RunSummary): string =>
  run.startedAt && run.finishedAt
    ? formatDuration(Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt)))
    : '';

/** Runs as a table: when, workflow, status, version, trigger, duration; each row links to its run page. */
export function runsTable(runs: RunSummary[], options: { showWorkflow: boolean }): HTMLElement {
  return h(
    'div',
    { class: 'table-box' },
    h(
      'table',
      { class: 'runs', 'data-testid': 'runs-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Started'),
          options.showWorkflow ? h('th', { scope: 'col' }, 'Workflow') : null,
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Version'),
          h('th', { scope: 'col' }, 'Trigger'),
          h('th', { scope: 'col' }, 'Duration'),
        ),
      ),
      h(
        'tbody',
        {},
        ...runs.map((run) =>
          h(
            'tr',
            { 'data-testid': 'run-row', 'data-run-id': run.id },
            h(
              'td',
              {},
              h(
                'a',
                { href: `#/runs/${encodeURIComponent(run.id)}` },
                run.startedAt ? new Date(run.startedAt).toLocaleString() : run.id,
              ),
            ),
            options.showWorkflow
              ? h(
                  'td',
                  {},
                  run.workflowName
                    ? h('a', { href: `#/workflows/${encodeURIComponent(run.workflowId)}` }, run.workflowName)
                    : h('span', { class: 'muted' }, `${run.workflowId} (deleted)`),
                )
              : null,
            h('td', {}, statusBadge(run.status)),
            h('td', {}, run.version === undefined ? '' : `v${run.version}`),
            h('td', {}, run.triggerType ?? ''),
            h('td', {}, durationOf(run)),
          ),
        ),
      ),
    ),
  );
}

/** The local day `yyyy-mm-dd` starts at, as an ISO instant (`to` is the day after: the chosen day is included). */
function dayStart(day: string, plusDays = 0): string {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(year ?? 1970, (month ?? 1) - 1, (date ?? 1) + plusDays).toISOString();
}

type Filters = {
  status: string;
  workflowId: string;
  from: string;
  to: string;
  limit: string;
  offset: number;
};

function filtersOf(params: URLSearchParams): Filters {
  const status = params.get('status') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const limit = params.get('limit') ?? DEFAULT_PAGE_SIZE;
  const offset = Number(params.get('offset') ?? '0');
  return {
    status: (STATUSES as readonly string[]).includes(status) ? status : '',
    workflowId: params.get('workflowId') ?? '',
    from: DATE.test(from) ? from : '',
    to: DATE.test(to) ? to : '',
    limit: (PAGE_SIZES as readonly string[]).includes(limit) ? limit : DEFAULT_PAGE_SIZE,
    offset: Number.isInteger(offset) && offset >= 0 ? offset : 0,
  };
}

/** The address of a runs page: only the filters that are set. */
function hashOf(filters: Filters): string {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  if (filters.workflowId) params.set('workflowId', filters.workflowId);
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  if (filters.limit !== DEFAULT_PAGE_SIZE) params.set('limit', filters.limit);
  if (filters.offset > 0) params.set('offset', String(filters.offset));
  const query = params.toString();
  return `#/runs${query ? `?${query}` : ''}`;
}

function apiQuery(filters: Filters): string {
  const params = new URLSearchParams({ limit: filters.limit, offset: String(filters.offset) });
  if (filters.status) params.set('status', filters.status);
  if (filters.workflowId) params.set('workflowId', filters.workflowId);
  if (filters.from) params.set('from', dayStart(filters.from));
  if (filters.to) params.set('to', dayStart(filters.to, 1));
  return params.toString();
}

function select(
  id: string,
  label: string,
  value: string,
  options: { value: string; label: string }[],
): HTMLElement {
  const element = h('select', { id, name: id });
  for (const option of options) {
    const item = h('option', { value: option.value }, option.label);
    if (option.value === value) item.selected = true;
    element.append(item);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), element);
}

const dateField = (id: string, label: string, value: string) =>
  h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('input', { id, name: id, type: 'date', value }),
  );

/** Draws the runs list for the filters in `params` (the part of the address after `?`). */
export async function runsPage(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const filters = filtersOf(params);
  if (filters.from && filters.to && filters.from > filters.to) {
    main.replaceChildren(
      h('h1', {}, 'Runs'),
      h('p', { class: 'error', role: 'alert' }, 'The “from” day is after the “to” day.'),
      h('p', {}, h('a', { href: '#/runs' }, 'Show all runs')),
    );
    return;
  }
  const [{ runs, nextOffset }, { workflows }] = await Promise.all([
    getJson<{ runs: RunSummary[]; nextOffset: number | null }>(`/chat/api/runs?${apiQuery(filters)}`),
    getJson<{ workflows: WorkflowSummary[] }>('/chat/api/workflows'),
  ]);
  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filter runs',
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(event.target as HTMLFormElement);
        const text = (name: string) => String(data.get(name) ?? '');
        location.hash = hashOf({
          status: text('status'),
          workflowId: text('workflowId'),
          from: text('from'),
          to: text('to'),
          limit: text('limit'),
          offset: 0,
        });
      },
    },
    select('status', 'Status', filters.status, [
      { value: '', label: 'Any status' },
      ...STATUSES.map((status) => ({ value: status, label: status })),
    ]),
    select('workflowId', 'Workflow', filters.workflowId, [
      { value: '', label: 'All workflows' },
      ...workflows.map((workflow) => ({ value: workflow.id, label: workflow.name })),
    ]),
    dateField('from', 'From (day)', filters.from),
    dateField('to', 'To (day, included)', filters.to),
    select(
      'limit',
      'Per page',
      filters.limit,
      PAGE_SIZES.map((size) => ({ value: size, label: size })),
    ),
    h(
      'div',
      { class: 'field actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply'),
      h('a', { class: 'button-link', href: '#/runs' }, 'Clear'),
    ),
  );
  const size = Number(filters.limit);
  const first = filters.offset + 1;
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    filters.offset > 0
      ? h(
          'a',
          {
            class: 'button-link',
            href: hashOf({ ...filters, offset: Math.max(0, filters.offset - size) }),
            rel: 'prev',
          },
          'Newer runs',
        )
      : null,
    h(
      'span',
      { class: 'muted', 'data-testid': 'page-range' },
      runs.length ? `Runs ${first}–${filters.offset + runs.length}` : '',
    ),
    nextOffset !== null
      ? h(
          'a',
          { class: 'button-link', href: hashOf({ ...filters, offset: nextOffset }), rel: 'next' },
          'Older runs',
        )
      : null,
  );
  main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'Runs'),
    form,
    runs.length
      ? runsTable(runs, { showWorkflow: true })
      : h('p', { 'data-testid': 'no-runs' }, 'No runs match.'),
    pager,
  );
}
