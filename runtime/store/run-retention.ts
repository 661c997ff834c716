import type { Sql } from '../../db/index.ts';

export const RUN_RETENTION_DEFAULT_DAYS = 30;

/** VMESH_RUN_RETENTION_DAYS: days to keep a finished run's data (default 30; 0 keeps it forever). */
export function runRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.VMESH_RUN_RETENTION_DAYS?.trim();
  if (raw === undefined || raw === '') return RUN_RETENTION_DEFAULT_DAYS;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 0)
    throw new Error(
      `VMESH_RUN_RETENTION_DAYS must be a whole number of days (0 keeps run data forever), not "${raw}".`,
    );
  return days;
}

export type PruneOptions = {
  /** Runs per transaction: each batch holds its row locks only while it runs. Default 200. */
  batchSize?: number;
  /** Batches per call (the scheduled job comes back for the rest). Default 500. */
  maxBatches?: number;
  now?: Date;
};

/**
 * Nodes whose step time is waiting, not work (a person, a timer, a child run, a foreach's items): left out of the
 * compute time of insights and of pruned runs' summaries.
 */
export const WAITING_NODES = ['core.approval', 'core.delay', 'core.wait', 'core.subworkflow', 'core.foreach'];

export type PruneResult = { runs: number; steps: number; batches: number };

/** The shortest retention that prunes anything: a workflow's own days, or the global ones; none when all keep forever. */
async function shortestRetentionDays(sql: Sql, globalDays: number): Promise<number | undefined> {
  const [row] = await sql`
    select min(run_retention_days)::int as days from workflows where run_retention_days > 0`;
  const candidates = [...(globalDays > 0 ? [globalDays] : []), ...(row?.days ? [Number(row.days)] : [])];
  return candidates.length > 0 ? Math.min(...candidates) : undefined;
}

/**
 * Prunes the data of runs that finished before their retention time (their workflow's own days, else
 * `retentionDays`, VMESH_RUN_RETENTION_DAYS; 0 keeps forever), oldest first, in small transactions that skip rows
 * another transaction holds: trigger data, output, response, steps, events, files and agent sub-steps go; the run
 * row keeps its status, times, error and a summary (steps, failed steps, duration, compute time, sandbox CPU time
 * and LLM calls by model, which insights read for pruned runs).
 */
export async function pruneRunData(
  sql: Sql,
  retentionDays: number,
  options: PruneOptions = {},
): Promise<PruneResult> {
  const result: PruneResult = { runs: 0, steps: 0, batches: 0 };
  const shortest = await shortestRetentionDays(sql, retentionDays);
  if (shortest === undefined) return result;
  const now = options.now ?? new Date();
  // No run finished after this is due, whatever its workflow keeps: it bounds the index range read.
  const earliestCutoff = new Date(now.getTime() - shortest * 86_400_000);
  const batchSize = options.batchSize ?? 200;
  for (let batch = 0; batch < (options.maxBatches ?? 500); batch++) {
    const [row] = await sql`
      with batch as (
        select r.id from runs r left join workflows w on w.id = r.workflow_id
        where r.pruned_at is null and r.finished_at is not null and r.finished_at < ${earliestCutoff}
          and r.status in ('succeeded', 'failed', 'cancelled')
          and coalesce(w.run_retention_days, ${retentionDays}::int) > 0
          and r.finished_at < ${now}::timestamptz
            - make_interval(days => coalesce(w.run_retention_days, ${retentionDays}::int))
        order by r.finished_at limit ${batchSize}
        for update of r skip locked
      ), waiting as (
        select b.id as run_id, array_agg(n->>'id') as node_ids
        from batch b join runs r on r.id = b.id
          join workflow_versions v on v.workflow_id = r.workflow_id and v.version = r.version,
          jsonb_path_query(v.document, '$.**.nodes[*]') n
        where n->>'uses' = any(${WAITING_NODES}::text[])
        group by b.id
      ), counted as (
        select s.run_id, count(*)::int as steps, (count(*) filter (where s.status = 'failed'))::int as failed,
          sum((s.usage->>'sandboxCpuMs')::float8) as cpu_ms,
          sum(greatest(0, extract(epoch from s.finished_at - s.started_at) * 1000))
            filter (where w.node_ids is null or not s.node_id = any(w.node_ids)) as step_ms
        from steps s join batch b on b.id = s.run_id left join waiting w on w.run_id = s.run_id
        group by s.run_id
      ), llm_calls as (
        select s.run_id, 'action' as source, s.usage#>>'{llm,model}' as model,
          (s.usage#>>'{llm,inputTokens}')::float8 as input_tokens, (s.usage#>>'{llm,outputTokens}')::float8 as output_tokens
        from steps s join batch b on b.id = s.run_id where s.usage ? 'llm'
        union all
        select a.run_id, 'step', a.output->>'model', (a.output#>>'{usage,inputTokens}')::float8,
          (a.output#>>'{usage,outputTokens}')::float8
        from agent_calls a join batch b on b.id = a.run_id where a.kind = 'model' and not a.is_error
      ), llm as (
        select run_id, jsonb_agg(jsonb_build_object('source', source, 'model', model, 'calls', calls,
          'inputTokens', input_tokens, 'outputTokens', output_tokens)) as models
        from (select run_id, source, coalesce(model, 'unknown') as model, count(*)::int as calls,
            coalesce(sum(input_tokens), 0) as input_tokens, coalesce(sum(output_tokens), 0) as output_tokens
          from llm_calls group by run_id, source, coalesce(model, 'unknown')) per_model
        group by run_id
      ), gone_steps as (
        delete from steps s using batch b where s.run_id = b.id returning 1
      ), gone_events as (
        delete from run_events e using batch b where e.run_id = b.id returning 1
      ), gone_files as (
        delete from files f using batch b where f.run_id = b.id returning 1
      ), gone_calls as (
        delete from agent_calls a using batch b where a.run_id = b.id returning 1
      ), summarised as (
        update runs r set pruned_at = now(), trigger = 'null'::jsonb, output = null, response = null,
          summary = jsonb_build_object(
            'steps', coalesce(c.steps, 0),
            'failedSteps', coalesce(c.failed, 0),
            'durationMs', greatest(0, round(extract(epoch from r.finished_at - coalesce(r.started_at, r.created_at)) * 1000)),
            'stepMs', coalesce(round(c.step_ms), 0),
            'sandboxCpuMs', coalesce(c.cpu_ms, 0),
            'llm', coalesce(l.models, '[]'::jsonb)
          )
        from batch b left join counted c on c.run_id = b.id left join llm l on l.run_id = b.id
        where r.id = b.id
        returning r.id
      )
      select (select count(*)::int from summarised) as runs, (select count(*)::int from gone_steps) as steps,
        (select count(*)::int from gone_events) as events, (select count(*)::int from gone_files) as files,
        (select count(*)::int from gone_calls) as calls`;
    const runs = Number(row?.runs ?? 0);
    if (runs === 0) break;
    result.runs += runs;
    result.steps += Number(row?.steps ?? 0);
    result.batches += 1;
    if (runs < batchSize) break;
  }
  return result;
}
