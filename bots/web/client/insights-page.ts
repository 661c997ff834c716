import { getJson } from './api.ts';
import { h } from './dom.ts';
import { errorNote } from './error-note.ts';

// The shape of GET /chat/api/insights (runtime/store/insights.ts).
type DayCounts = { day: string; succeeded: number; failed: number; cancelled: number; unfinished: number };
type ModelUsage = {
  source: string;
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
};
type LlmUsage = {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  unpricedCalls: number;
  models: ModelUsage[];
};
type UsageSummary = {
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  unfinished: number;
  failureRate: number | null;
  durationMs: { p50: number | null; p95: number | null };
  runsPerDay: DayCounts[];
  failingSteps: { workflowId: string; nodeId: string; failures: number; lastErrorCode: string | null }[];
  compute: { stepWallMs: number; sandboxCpuMs: number };
  llm: LlmUsage;
};
type Insights = {
  from: string;
  to: string;
  days: number;
  pricesChecked: string;
  overall: UsageSummary;
  workflows: (UsageSummary & { workflowId: string; name: string })[];
  conversations: { conversationId: string; frontEnd: string; turns: number; llm: LlmUsage }[];
};

const STATUSES = ['succeeded', 'failed', 'cancelled', 'unfinished'] as const;
const STATUS_LABEL: Record<(typeof STATUSES)[number], string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  unfinished: 'Unfinished',
};
const DAY_CHOICES = [7, 30, 90];
const SVG_NS = 'http://www.w3.org/2000/svg';

const seconds = (ms: number | null) =>
  ms === null ? '—' : ms >= 100_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(2)} s`;
const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)} %`);
const usd = (value: number) => `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;

function costText(llm: LlmUsage): string {
  if (llm.calls === 0) return 'none';
  return llm.unpricedCalls > 0
    ? `${usd(llm.costUsd)} + ${llm.unpricedCalls} unpriced ${llm.unpricedCalls === 1 ? 'call' : 'calls'}`
    : usd(llm.costUsd);
}

function svg(tag: string, attributes: Record<string, string | number>, ...children: (Node | string)[]) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** Runs per day as stacked bars by status, drawn here as SVG (no chart library). */
export function runsPerDayChart(days: readonly DayCounts[]): SVGSVGElement {
  const width = 720;
  const height = 220;
  const left = 36;
  const bottom = 28;
  const top = 10;
  const plotHeight = height - top - bottom;
  const totals = days.map((day) => STATUSES.reduce((sum, status) => sum + day[status], 0));
  const max = Math.max(1, ...totals);
  const slot = (width - left - 8) / Math.max(1, days.length);
  const barWidth = Math.max(2, Math.min(36, slot * 0.7));
  const total = totals.reduce((sum, value) => sum + value, 0);
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'insights-chart',
    role: 'img',
    'aria-label': `Runs per day by status: ${total} runs over ${days.length} days, at most ${max} on one day.`,
    'data-testid': 'runs-chart',
  }) as SVGSVGElement;
  chart.append(
    svg('line', { x1: left, y1: top + plotHeight, x2: width - 4, y2: top + plotHeight, class: 'axis' }),
    svg('text', { x: left - 6, y: top + 10, 'text-anchor': 'end', class: 'tick' }, String(max)),
    svg('text', { x: left - 6, y: top + plotHeight, 'text-anchor': 'end', class: 'tick' }, '0'),
  );
  const labelEvery = Math.ceil(days.length / 10);
  days.forEach((day, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    let y = top + plotHeight;
    for (const status of STATUSES) {
      const count = day[status];
      if (count === 0) continue;
      const barHeight = (count / max) * plotHeight;
      y -= barHeight;
      chart.append(
        svg(
          'rect',
          { x, y, width: barWidth, height: barHeight, class: `bar bar-${status}`, 'data-day': day.day },
          svg('title', {}, `${day.day}: ${count} ${status}`),
        ),
      );
    }
    if (index % labelEvery === 0)
      chart.append(
        svg(
          'text',
          { x: x + barWidth / 2, y: height - 8, 'text-anchor': 'middle', class: 'tick' },
          day.day.slice(5),
        ),
      );
  });
  return chart;
}

function legend(): HTMLElement {
  return h(
    'ul',
    { class: 'insights-legend', 'aria-hidden': 'true' },
    ...STATUSES.map((status) =>
      h('li', {}, h('span', { class: `swatch bar-${status}` }), STATUS_LABEL[status]),
    ),
  );
}

function figures(summary: UsageSummary): HTMLElement {
  const figure = (label: string, value: string, testId: string) =>
    h('div', { class: 'insights-figure' }, h('dt', {}, label), h('dd', { 'data-testid': testId }, value));
  return h(
    'dl',
    { class: 'insights-figures' },
    figure('Runs', String(summary.runs), 'insights-runs'),
    figure('Failure rate', percent(summary.failureRate), 'insights-failure-rate'),
    figure(
      'Duration p50 / p95',
      `${seconds(summary.durationMs.p50)} / ${seconds(summary.durationMs.p95)}`,
      'insights-duration',
    ),
    figure('Step time', seconds(summary.compute.stepWallMs), 'insights-step-time'),
    figure('Sandbox CPU', seconds(summary.compute.sandboxCpuMs), 'insights-cpu'),
    figure('LLM cost', costText(summary.llm), 'insights-cost'),
  );
}

function dayTable(days: readonly DayCounts[]): HTMLElement {
  return h(
    'details',
    {},
    h('summary', {}, 'Runs per day as a table'),
    h(
      'table',
      { class: 'insights-table' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, 'Day'), ...STATUSES.map((status) => h('th', {}, STATUS_LABEL[status]))),
      ),
      h(
        'tbody',
        {},
        ...days.map((day) =>
          h('tr', {}, h('td', {}, day.day), ...STATUSES.map((status) => h('td', {}, String(day[status])))),
        ),
      ),
    ),
  );
}

function workflowTable(report: Insights): HTMLElement {
  if (report.workflows.length === 0) return h('p', { class: 'muted' }, 'No runs in this time.');
  return h(
    'table',
    { class: 'insights-table', 'data-testid': 'insights-workflows' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Workflow', 'Runs', 'Failure rate', 'p50', 'p95', 'Step time', 'Sandbox CPU', 'LLM cost'].map(
          (title) => h('th', { scope: 'col' }, title),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...report.workflows.map((workflow) =>
        h(
          'tr',
          {},
          h(
            'th',
            { scope: 'row' },
            h(
              'a',
              { href: `#/workflows/${encodeURIComponent(workflow.workflowId)}` },
              workflow.name || workflow.workflowId,
            ),
          ),
          h('td', {}, String(workflow.runs)),
          h('td', {}, percent(workflow.failureRate)),
          h('td', {}, seconds(workflow.durationMs.p50)),
          h('td', {}, seconds(workflow.durationMs.p95)),
          h('td', {}, seconds(workflow.compute.stepWallMs)),
          h('td', {}, seconds(workflow.compute.sandboxCpuMs)),
          h('td', {}, costText(workflow.llm)),
        ),
      ),
    ),
  );
}

function failingSteps(summary: UsageSummary, names: Map<string, string>): HTMLElement | null {
  if (summary.failingSteps.length === 0) return null;
  return h(
    'section',
    { 'aria-labelledby': 'insights-failing' },
    h('h2', { id: 'insights-failing' }, 'Steps that fail most'),
    h(
      'ol',
      { class: 'insights-failing' },
      ...summary.failingSteps.map((step) =>
        h(
          'li',
          {},
          h('code', {}, step.nodeId),
          ` in ${names.get(step.workflowId) ?? step.workflowId}: ${step.failures} failures`,
          step.lastErrorCode ? h('span', { class: 'muted' }, ` (last: ${step.lastErrorCode})`) : null,
        ),
      ),
    ),
  );
}

function conversations(report: Insights): HTMLElement | null {
  if (report.conversations.length === 0) return null;
  return h(
    'section',
    { 'aria-labelledby': 'insights-conversations' },
    h('h2', { id: 'insights-conversations' }, 'Builder agent per conversation'),
    h(
      'table',
      { class: 'insights-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Conversation', 'Where', 'Turns', 'LLM cost'].map((title) => h('th', { scope: 'col' }, title)),
        ),
      ),
      h(
        'tbody',
        {},
        ...report.conversations.map((conversation) =>
          h(
            'tr',
            {},
            h('td', {}, h('code', {}, conversation.conversationId)),
            h('td', {}, conversation.frontEnd),
            h('td', {}, String(conversation.turns)),
            h('td', {}, costText(conversation.llm)),
          ),
        ),
      ),
    ),
  );
}

function render(report: Insights, workflowId: string): HTMLElement[] {
  const names = new Map(report.workflows.map((workflow) => [workflow.workflowId, workflow.name]));
  const summary =
    (workflowId && report.workflows.find((workflow) => workflow.workflowId === workflowId)) || report.overall;
  const nodes: (HTMLElement | null)[] = [
    figures(summary),
    h(
      'figure',
      { class: 'insights-chart-box' },
      h('figcaption', {}, 'Runs per day by status'),
      runsPerDayChart(summary.runsPerDay),
      legend(),
      dayTable(summary.runsPerDay),
    ),
    failingSteps(summary, names),
    workflowId
      ? null
      : h(
          'section',
          { 'aria-labelledby': 'insights-per-workflow' },
          h('h2', { id: 'insights-per-workflow' }, 'Per workflow'),
          workflowTable(report),
        ),
    workflowId ? null : conversations(report),
    h(
      'p',
      { class: 'muted' },
      `LLM costs at list prices checked ${report.pricesChecked}; calls of models without a price are counted, not priced.`,
    ),
  ];
  return nodes.filter((node): node is HTMLElement => node !== null);
}

/** #/insights: runs per day, failure rate, durations, failing steps, compute time and LLM cost. */
export async function insightsView(main: HTMLElement, signal: AbortSignal): Promise<void> {
  const body = h('div', { 'aria-live': 'polite' });
  const days = h(
    'select',
    { id: 'insights-days' },
    ...DAY_CHOICES.map((choice) => h('option', { value: String(choice) }, `Last ${choice} days`)),
  );
  const workflow = h('select', { id: 'insights-workflow' }, h('option', { value: '' }, 'All workflows'));
  main.replaceChildren(
    h(
      'section',
      { class: 'insights', 'aria-labelledby': 'insights-title' },
      h('h1', { id: 'insights-title' }, 'Insights'),
      h(
        'div',
        { class: 'insights-controls' },
        h('label', { for: 'insights-days' }, 'Time '),
        days,
        h('label', { for: 'insights-workflow' }, 'Workflow '),
        workflow,
      ),
      body,
    ),
  );
  const load = async () => {
    const query = new URLSearchParams({ days: days.value });
    if (workflow.value) query.set('workflowId', workflow.value);
    try {
      const report = await getJson<Insights>(`/chat/api/insights?${query}`);
      if (signal.aborted) return;
      if (!workflow.value) {
        workflow.replaceChildren(
          h('option', { value: '' }, 'All workflows'),
          ...report.workflows.map((entry) =>
            h('option', { value: entry.workflowId }, entry.name || entry.workflowId),
          ),
        );
      }
      body.replaceChildren(...render(report, workflow.value));
    } catch (error) {
      body.replaceChildren(errorNote(error));
    }
  };
  days.addEventListener('change', () => void load(), { signal });
  workflow.addEventListener('change', () => void load(), { signal });
  await load();
}
