import { z } from 'zod';
import { type Principal, seesAll } from '../../access/index.ts';
import type { Sql } from '../../db/index.ts';
import { LLM_PRICES_CHECKED, llmPrices, type PriceTable } from '../../lib/index.ts';
import { visibleWorkflow } from './object-access.ts';
import { WAITING_NODES } from './run-retention.ts';

export const INSIGHTS_MAX_DAYS = 365;

export const InsightsQuery = z.strictObject({
  workflowId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('One workflow; all the caller may see when left out.'),
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(INSIGHTS_MAX_DAYS)
    .default(7)
    .describe('The last N UTC days, today included (default 7, at most 365).'),
});
export type InsightsQuery = z.infer<typeof InsightsQuery>;

const DayCounts = z.object({
  day: z.string().describe('UTC day, YYYY-MM-DD'),
  succeeded: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  unfinished: z.number(),
});

const ModelUsage = z.object({
  source: z
    .enum(['builder', 'step', 'action'])
    .describe('builder agent turns, core.agent steps, llm.* steps'),
  model: z.string(),
  calls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z
    .number()
    .nullable()
    .describe('null: the model has no price (VMESH_LLM_PRICES), so its cost is unknown'),
});

export const LlmUsage = z.object({
  calls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number().describe('Cost of the calls of priced models, USD at list price'),
  unpricedCalls: z.number().describe('Calls of models without a price: not in costUsd'),
  models: z.array(ModelUsage),
});
export type LlmUsage = z.infer<typeof LlmUsage>;

export const UsageSummary = z.object({
  runs: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  unfinished: z.number(),
  failureRate: z.number().nullable().describe('failed / finished runs; null without finished runs'),
  durationMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  runsPerDay: z.array(DayCounts),
  failingSteps: z.array(
    z.object({
      workflowId: z.string(),
      nodeId: z.string(),
      failures: z.number(),
      lastErrorCode: z.string().nullable(),
    }),
  ),
  compute: z.object({
    stepWallMs: z
      .number()
      .describe('Time steps spent working (waits for people, timers and child runs left out)'),
    sandboxCpuMs: z.number().describe('CPU time of core.code in the sandbox'),
  }),
  llm: LlmUsage,
});
export type UsageSummary = z.infer<typeof UsageSummary>;

export const Insights = z.object({
  from: z.string(),
  to: z.string(),
  days: z.number(),
  pricesChecked: z.string().describe('When the built-in model prices were checked'),
  overall: UsageSummary,
  workflows: z.array(UsageSummary.extend({ workflowId: z.string(), name: z.string() })),
  conversations: z.array(
    z.object({
      conversationId: z.string(),
      frontEnd: z.string(),
      turns: z.number(),
      workflowIds: z.array(z.string()),
      llm: LlmUsage,
    }),
  ),
});
export type Insights = z.infer<typeof Insights>;

const TOP_FAILING_STEPS = 5;
const MAX_CONVERSATIONS = 50;

type Row = Record<string, unknown>;
const num = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));
const numOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

type ModelRow = {
  source: 'builder' | 'step' | 'action';
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
};

function toLlmUsage(rows: readonly ModelRow[], prices: PriceTable): LlmUsage {
  const usage: LlmUsage = {
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    unpricedCalls: 0,
    models: [],
  };
  const merged = new Map<string, ModelRow>();
  for (const row of rows) {
    const id = `${row.source}\u0000${row.model}`;
    const earlier = merged.get(id);
    if (!earlier) merged.set(id, { ...row });
    else {
      earlier.calls += row.calls;
      earlier.inputTokens += row.inputTokens;
      earlier.outputTokens += row.outputTokens;
      earlier.cacheReadTokens += row.cacheReadTokens;
      earlier.cacheWriteTokens += row.cacheWriteTokens;
    }
  }
  for (const row of merged.values()) {
    const costUsd = prices.costOf(row.model, row);
    usage.calls += row.calls;
    usage.inputTokens += row.inputTokens;
    usage.outputTokens += row.outputTokens;
    if (costUsd === null) usage.unpricedCalls += row.calls;
    else usage.costUsd += costUsd;
    usage.models.push({
      source: row.source,
      model: row.model,
      calls: row.calls,
      inputTokens: row.inputTokens,
      outputTokens: row.outputTokens,
      costUsd,
    });
  }
  usage.models.sort((a, b) => (b.costUsd ?? 0) - (a.costUsd ?? 0) || b.calls - a.calls);
  return usage;
}

function emptySummary(days: readonly string[]): UsageSummary {
  return {
    runs: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    unfinished: 0,
    failureRate: null,
    durationMs: { p50: null, p95: null },
    runsPerDay: days.map((day) => ({ day, succeeded: 0, failed: 0, cancelled: 0, unfinished: 0 })),
    failingSteps: [],
    compute: { stepWallMs: 0, sandboxCpuMs: 0 },
    llm: { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedCalls: 0, models: [] },
  };
}

/**
 * Usage and health of the workflows `viewer` may see, over the last `days`: runs per day by status, failure rate,
 * p50/p95 run duration, the steps that fail most, compute time (step wall time, sandbox CPU time) and LLM use and
 * cost, per workflow and overall; and the builder agent's LLM use per conversation the viewer took part in. Runs
 * whose data retention pruned count through their summaries. A `workflowId` the viewer may not see is a 404.
 */
export async function computeInsights(
  sql: Sql,
  viewer: Principal,
  query: InsightsQuery,
  prices: PriceTable = llmPrices(),
): Promise<Insights> {
  // A workflow the viewer may not see is unknown to them (404), like everywhere else.
  if (query.workflowId) await visibleWorkflow(sql, viewer, query.workflowId);
  // The last `days` UTC days, today included: each day of the chart is a whole day.
  const to = new Date();
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate() - (query.days - 1)));
  const all = seesAll(viewer);
  const visible = sql`(${all} or w.scope <> 'private' or w.owner_id = ${viewer.userId})`;
  const onlyWorkflow = query.workflowId ? sql`and w.id = ${query.workflowId}` : sql``;
  const inRange = sql`r.created_at >= ${from} and r.created_at <= ${to}`;
  const runScope = sql`from runs r join workflows w on w.id = r.workflow_id where ${inRange} and ${visible} ${onlyWorkflow}`;

  const [totals, perDay, failing, compute, llmRows, conversationRows, dayRows] = await Promise.all([
    sql`
      select r.workflow_id, min(w.name) as name, count(*)::int as runs,
        (count(*) filter (where r.status = 'succeeded'))::int as succeeded,
        (count(*) filter (where r.status = 'failed'))::int as failed,
        (count(*) filter (where r.status = 'cancelled'))::int as cancelled,
        percentile_cont(0.5) within group (order by extract(epoch from r.finished_at - coalesce(r.started_at, r.created_at)) * 1000)
          filter (where r.status in ('succeeded', 'failed') and r.finished_at is not null) as p50,
        percentile_cont(0.95) within group (order by extract(epoch from r.finished_at - coalesce(r.started_at, r.created_at)) * 1000)
          filter (where r.status in ('succeeded', 'failed') and r.finished_at is not null) as p95
      ${runScope}
      group by grouping sets ((r.workflow_id), ())`,
    sql`
      select r.workflow_id, to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, r.status, count(*)::int as runs
      ${runScope}
      group by r.workflow_id, 2, r.status`,
    sql`
      select workflow_id, node_id, count(*)::int as failures,
        (array_agg(code order by at desc))[1] as last_error_code
      from (
        select r.workflow_id, s.node_id, s.error->>'code' as code, coalesce(s.finished_at, r.finished_at) as at
        from steps s join runs r on r.id = s.run_id join workflows w on w.id = r.workflow_id
        where s.status = 'failed' and ${inRange} and ${visible} ${onlyWorkflow}
        union all
        select r.workflow_id, r.error->>'nodeId', r.error->>'code', r.finished_at
        ${runScope} and r.pruned_at is not null and r.status = 'failed' and r.error ? 'nodeId'
      ) failures
      group by workflow_id, node_id`,
    sql`
      with scoped as (select r.id, r.workflow_id, r.version, r.pruned_at, r.summary ${runScope}),
      waiting as (
        select s.id as run_id, array_agg(n->>'id') as node_ids
        from scoped s join workflow_versions v on v.workflow_id = s.workflow_id and v.version = s.version,
          jsonb_path_query(v.document, '$.**.nodes[*]') n
        where s.pruned_at is null and n->>'uses' = any(${WAITING_NODES}::text[])
        group by s.id
      )
      select workflow_id, sum(step_ms)::float8 as step_ms, sum(cpu_ms)::float8 as cpu_ms from (
        select sc.workflow_id,
          coalesce(sum(extract(epoch from st.finished_at - st.started_at) * 1000)
            filter (where st.finished_at is not null and st.started_at is not null
              and (w.node_ids is null or not st.node_id = any(w.node_ids))), 0) as step_ms,
          coalesce(sum((st.usage->>'sandboxCpuMs')::float8), 0) as cpu_ms
        from scoped sc join steps st on st.run_id = sc.id left join waiting w on w.run_id = sc.id
        where sc.pruned_at is null
        group by sc.workflow_id
        union all
        select workflow_id, coalesce(sum((summary->>'stepMs')::float8), 0), coalesce(sum((summary->>'sandboxCpuMs')::float8), 0)
        from scoped where pruned_at is not null group by workflow_id
      ) parts
      group by workflow_id`,
    sql`
      with scoped as (select r.id, r.workflow_id, r.pruned_at, r.summary ${runScope}),
      calls as (
        select sc.workflow_id, 'action' as source, st.usage#>>'{llm,model}' as model, 1 as calls,
          (st.usage#>>'{llm,inputTokens}')::float8 as input_tokens, (st.usage#>>'{llm,outputTokens}')::float8 as output_tokens,
          0::float8 as cache_read, 0::float8 as cache_write
        from scoped sc join steps st on st.run_id = sc.id where sc.pruned_at is null and st.usage ? 'llm'
        union all
        select sc.workflow_id, 'step', a.output->>'model', 1, (a.output#>>'{usage,inputTokens}')::float8,
          (a.output#>>'{usage,outputTokens}')::float8, (a.output#>>'{usage,cacheReadTokens}')::float8,
          (a.output#>>'{usage,cacheWriteTokens}')::float8
        from scoped sc join agent_calls a on a.run_id = sc.id
        where sc.pruned_at is null and a.kind = 'model' and not a.is_error
        union all
        select sc.workflow_id, m->>'source', m->>'model', (m->>'calls')::int, (m->>'inputTokens')::float8,
          (m->>'outputTokens')::float8, 0, 0
        from scoped sc, jsonb_array_elements(coalesce(sc.summary->'llm', '[]'::jsonb)) m
        where sc.pruned_at is not null
      )
      select workflow_id, source, coalesce(model, 'unknown') as model, sum(calls)::int as calls,
        coalesce(sum(input_tokens), 0)::float8 as input_tokens, coalesce(sum(output_tokens), 0)::float8 as output_tokens,
        coalesce(sum(cache_read), 0)::float8 as cache_read_tokens, coalesce(sum(cache_write), 0)::float8 as cache_write_tokens
      from calls group by workflow_id, source, coalesce(model, 'unknown')`,
    query.workflowId
      ? Promise.resolve([])
      : sql`
      select c.id as conversation_id, c.front_end, c.workflow_refs, coalesce(m.model, 'unknown') as model,
        count(*)::int as calls,
        coalesce(sum((m.usage->>'inputTokens')::float8), 0)::float8 as input_tokens,
        coalesce(sum((m.usage->>'outputTokens')::float8), 0)::float8 as output_tokens,
        coalesce(sum((m.usage->>'cacheReadTokens')::float8), 0)::float8 as cache_read_tokens,
        coalesce(sum((m.usage->>'cacheWriteTokens')::float8), 0)::float8 as cache_write_tokens
      from conversation_messages m join conversations c on c.id = m.conversation_id
      where m.usage is not null and m.created_at >= ${from} and m.created_at <= ${to}
        and (${all} or c.participants ? ${viewer.userId})
      group by c.id, c.front_end, c.workflow_refs, coalesce(m.model, 'unknown')`,
    sql`select to_char(d at time zone 'UTC', 'YYYY-MM-DD') as day
      from generate_series(date_trunc('day', ${from}::timestamptz at time zone 'UTC') at time zone 'UTC',
        ${to}::timestamptz, interval '1 day') d`,
  ]);

  const days = (dayRows as Row[]).map((row) => String(row.day));
  const overall = emptySummary(days);
  const byWorkflow = new Map<string, UsageSummary & { workflowId: string; name: string }>();
  const summaryOf = (workflowId: unknown): UsageSummary => {
    if (workflowId === null || workflowId === undefined) return overall;
    const id = String(workflowId);
    let summary = byWorkflow.get(id);
    if (!summary) {
      summary = { ...emptySummary(days), workflowId: id, name: '' };
      byWorkflow.set(id, summary);
    }
    return summary;
  };

  for (const row of totals as Row[]) {
    const summary = summaryOf(row.workflowId);
    if ('name' in summary && row.name !== null) summary.name = String(row.name);
    summary.runs = num(row.runs);
    summary.succeeded = num(row.succeeded);
    summary.failed = num(row.failed);
    summary.cancelled = num(row.cancelled);
    summary.unfinished = summary.runs - summary.succeeded - summary.failed - summary.cancelled;
    const finished = summary.succeeded + summary.failed + summary.cancelled;
    summary.failureRate = finished > 0 ? summary.failed / finished : null;
    summary.durationMs = { p50: numOrNull(row.p50), p95: numOrNull(row.p95) };
  }
  for (const row of perDay as Row[]) {
    const status = String(row.status);
    const bucket =
      (['succeeded', 'failed', 'cancelled'] as const).find((known) => known === status) ?? 'unfinished';
    for (const summary of [overall, summaryOf(row.workflowId)]) {
      const day = summary.runsPerDay.find((entry) => entry.day === row.day);
      if (day) day[bucket] += num(row.runs);
    }
  }
  const failures = (failing as Row[])
    .map((row) => ({
      workflowId: String(row.workflowId),
      nodeId: String(row.nodeId),
      failures: num(row.failures),
      lastErrorCode: row.lastErrorCode === null ? null : String(row.lastErrorCode),
    }))
    .sort((a, b) => b.failures - a.failures);
  overall.failingSteps = failures.slice(0, TOP_FAILING_STEPS);
  for (const failure of failures) {
    const steps = summaryOf(failure.workflowId).failingSteps;
    if (steps.length < TOP_FAILING_STEPS) steps.push(failure);
  }
  for (const row of compute as Row[]) {
    for (const summary of [overall, summaryOf(row.workflowId)]) {
      summary.compute.stepWallMs += num(row.stepMs);
      summary.compute.sandboxCpuMs += num(row.cpuMs);
    }
  }
  const modelRow = (row: Row): ModelRow => ({
    source: row.source === 'action' ? 'action' : row.source === 'builder' ? 'builder' : 'step',
    model: String(row.model),
    calls: num(row.calls),
    inputTokens: num(row.inputTokens),
    outputTokens: num(row.outputTokens),
    cacheReadTokens: num(row.cacheReadTokens),
    cacheWriteTokens: num(row.cacheWriteTokens),
  });
  const workflowModels = new Map<string, ModelRow[]>();
  for (const row of llmRows as Row[]) {
    const id = String(row.workflowId);
    workflowModels.set(id, [...(workflowModels.get(id) ?? []), modelRow(row)]);
  }
  for (const [id, rows] of workflowModels) summaryOf(id).llm = toLlmUsage(rows, prices);

  const conversationModels = new Map<string, { frontEnd: string; workflowIds: string[]; rows: ModelRow[] }>();
  for (const row of conversationRows as Row[]) {
    const id = String(row.conversationId);
    const entry = conversationModels.get(id) ?? {
      frontEnd: String(row.frontEnd),
      workflowIds: z.array(z.string()).catch([]).parse(row.workflowRefs),
      rows: [],
    };
    entry.rows.push({ ...modelRow(row), source: 'builder' });
    conversationModels.set(id, entry);
  }
  const conversations = [...conversationModels.entries()]
    .map(([conversationId, entry]) => ({
      conversationId,
      frontEnd: entry.frontEnd,
      turns: entry.rows.reduce((sum, row) => sum + row.calls, 0),
      workflowIds: entry.workflowIds,
      llm: toLlmUsage(entry.rows, prices),
    }))
    .sort((a, b) => b.llm.costUsd - a.llm.costUsd || b.turns - a.turns)
    .slice(0, MAX_CONVERSATIONS);

  overall.llm = toLlmUsage(
    [
      ...[...workflowModels.values()].flat(),
      ...[...conversationModels.values()].flatMap((entry) => entry.rows),
    ],
    prices,
  );
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    days: query.days,
    pricesChecked: LLM_PRICES_CHECKED,
    overall,
    workflows: [...byWorkflow.values()].sort((a, b) => b.runs - a.runs || a.name.localeCompare(b.name)),
    conversations,
  };
}
