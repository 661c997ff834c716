import type { Command } from 'commander';
import type { Insights, LlmUsage, UsageSummary } from '../../runtime/index.ts';
import { printErr, printOut } from '../terminal-text.ts';
import { asLocalOwner, table } from './access-cli.ts';

const seconds = (ms: number) =>
  ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(2)} s`;
const duration = (ms: number | null) => (ms === null ? '—' : seconds(ms));
const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)} %`);
const usd = (value: number) => `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;

const calls = (count: number) => `${count} ${count === 1 ? 'call' : 'calls'}`;

function costText(llm: LlmUsage): string {
  if (llm.calls === 0) return 'no LLM calls';
  const unpriced = llm.unpricedCalls > 0 ? ` + ${calls(llm.unpricedCalls)} of models without a price` : '';
  return `${usd(llm.costUsd)}${unpriced} (${calls(llm.calls)}, ${llm.inputTokens} tokens in, ${llm.outputTokens} out)`;
}

function summaryLines(summary: UsageSummary): string[] {
  const lines = [
    `  runs: ${summary.runs} (${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.cancelled} cancelled, ${summary.unfinished} unfinished)`,
    `  failure rate: ${percent(summary.failureRate)}   duration p50 ${duration(summary.durationMs.p50)}, p95 ${duration(summary.durationMs.p95)}`,
    `  compute: ${seconds(summary.compute.stepWallMs)} step time, ${seconds(summary.compute.sandboxCpuMs)} sandbox CPU`,
    `  LLM cost: ${costText(summary.llm)}`,
  ];
  if (summary.failingSteps.length > 0)
    lines.push(
      `  failing most: ${summary.failingSteps.map((step) => `${step.nodeId} ×${step.failures}${step.lastErrorCode ? ` (${step.lastErrorCode})` : ''}`).join(', ')}`,
    );
  return lines;
}

/** The usage report as a person reads it in a terminal. */
export function formatInsights(insights: Insights): string {
  const out = [
    `Usage from ${insights.from.slice(0, 16).replace('T', ' ')} to ${insights.to.slice(0, 16).replace('T', ' ')} UTC (${insights.days} days)`,
    '',
    'All workflows',
    ...summaryLines(insights.overall),
    '',
    'Runs per day (succeeded / failed / cancelled / unfinished)',
    table(
      ['day', 'ok', 'failed', 'cancelled', 'unfinished'],
      insights.overall.runsPerDay.map((day) => [
        day.day,
        String(day.succeeded),
        String(day.failed),
        String(day.cancelled),
        String(day.unfinished),
      ]),
    ).trimEnd(),
  ];
  for (const workflow of insights.workflows)
    out.push('', `Workflow ${workflow.name} (${workflow.workflowId})`, ...summaryLines(workflow));
  if (insights.conversations.length > 0) {
    out.push('', 'Builder agent, per conversation');
    for (const conversation of insights.conversations)
      out.push(
        `  ${conversation.conversationId} (${conversation.frontEnd}, ${conversation.turns} turns): ${costText(conversation.llm)}`,
      );
  }
  out.push(
    '',
    `Costs at list prices checked ${insights.pricesChecked}; VMESH_LLM_PRICES sets prices for other models.`,
  );
  return `${out.join('\n')}\n`;
}

/** `vmesh insights [--workflow ID] [--days N] [--json]`. */
export function registerInsightsCommand(program: Command): void {
  program
    .command('insights')
    .description(
      'Usage report: runs per day, failure rate, p50/p95 duration, the steps that fail most, compute time and LLM cost, per workflow and overall.',
    )
    .option('--workflow <id>', 'only this workflow')
    .option('--days <n>', 'the last N UTC days, today included (1-365)', '7')
    .option('--json', 'print the report as JSON (the same as GET /api/insights)')
    .action(async (options: { workflow?: string; days: string; json?: boolean }) => {
      const runtime = await import('../../runtime/index.ts');
      const query = runtime.InsightsQuery.safeParse({ workflowId: options.workflow, days: options.days });
      if (!query.success) {
        printErr(`vmesh insights: --days must be a whole number from 1 to 365, not "${options.days}".\n`);
        process.exitCode = 2;
        return;
      }
      await asLocalOwner(async (sql, owner) => {
        const insights = await runtime.computeInsights(sql, owner, query.data);
        printOut(options.json ? `${JSON.stringify(insights, null, 2)}\n` : formatInsights(insights));
      });
    });
}
