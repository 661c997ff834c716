import { Counter, Histogram, type Registry } from 'prom-client';
import type { Sql } from '../../db/index.ts';
import { createRunEventCursor } from '../run-event-cursor.ts';
import { createNodeTypeCache } from './node-type-cache.ts';

/** Events read per query, and queries per scrape: a backlog larger than this is counted over several scrapes. */
const EVENTS_PER_QUERY = 5_000;
const QUERIES_PER_SCRAPE = 20;

const STEP_SECONDS_BUCKETS = [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120, 600, 3600];

type CountedRow = {
  type: string;
  workflowId: string;
  version: number;
  nodeId: string | null;
  events: number;
  seconds: number | null;
};

/**
 * Run and step counts from the engine's run events, read after the last one counted at each scrape: every worker
 * process's runs are counted, whichever process serves /metrics, and the engine's hot path does nothing for it.
 * A new process starts at the newest event (counters start at zero, as Prometheus expects after a restart).
 */
export function registerRunEventMetrics(registry: Registry, sql: Sql): { catchUp(): Promise<void> } {
  const started = new Counter({
    name: 'vmesh_runs_started_total',
    help: 'Runs created, by workflow.',
    labelNames: ['workflow'],
    registers: [registry],
  });
  const finished = new Counter({
    name: 'vmesh_runs_finished_total',
    help: 'Runs that ended, by workflow and status (succeeded, failed, cancelled; a retried run ends again).',
    labelNames: ['workflow', 'status'],
    registers: [registry],
  });
  const steps = new Histogram({
    name: 'vmesh_step_duration_seconds',
    help: "Step durations from start to end, by node type (the node's `uses`) and status.",
    labelNames: ['node_type', 'status'],
    buckets: STEP_SECONDS_BUCKETS,
    registers: [registry],
  });
  const nodeTypes = createNodeTypeCache(sql);
  // Counted in Postgres: a row per workflow, event type and, for steps, node and duration bucket. A bucket's rows
  // are observed at their mean duration, which lies in the same bucket, so the histogram's buckets, count and sum
  // are exact.
  const readCounts = async (after: bigint, upTo: bigint): Promise<CountedRow[]> =>
    (await sql`
      select type, workflow_id, version, node_id, bucket, count(*)::int as events, avg(seconds)::float8 as seconds
      from (
        select e.type, r.workflow_id, r.version, e.payload->>'nodeId' as node_id, d.seconds,
          (select count(*) from unnest(${STEP_SECONDS_BUCKETS}::float8[]) b where b < d.seconds)::int as bucket
        from run_events e
        join runs r on r.id = e.run_id
        left join steps s on e.type like 'step.%' and s.run_id = e.run_id and s.node_id = e.payload->>'nodeId'
          and s.path = coalesce(e.payload->>'path', '')
        -- Pure steps run in memory right after the claimed one took ~0 s (their times may even cross).
        cross join lateral (select case when s.run_id is not null then greatest(0, extract(epoch from
          coalesce(s.finished_at, e.at) - coalesce(s.started_at, s.finished_at, e.at)))::float8 end as seconds) d
        where e.seq > ${after.toString()}::bigint and e.seq <= ${upTo.toString()}::bigint
          and e.type in ('run.created', 'run.succeeded', 'run.failed', 'run.cancelled', 'step.succeeded', 'step.failed')
      ) counted
      group by type, workflow_id, version, node_id, bucket`) as unknown as CountedRow[];

  let uses: (row: CountedRow) => string | undefined = () => undefined;
  function count(row: CountedRow): void {
    if (row.type === 'run.created') started.inc({ workflow: row.workflowId }, row.events);
    else if (row.type.startsWith('run.'))
      finished.inc({ workflow: row.workflowId, status: row.type.slice('run.'.length) }, row.events);
    else if (row.seconds !== null) {
      const labels = { node_type: uses(row) ?? 'unknown', status: row.type.slice('step.'.length) };
      for (let i = 0; i < row.events; i++) steps.observe(labels, row.seconds);
    }
  }

  return createRunEventCursor({
    sql,
    read: async (after, upTo) => {
      const rows = await readCounts(after, upTo);
      uses = await nodeTypes.lookup(rows.filter((row) => row.type.startsWith('step.')));
      return rows;
    },
    handle: count,
    batchSize: EVENTS_PER_QUERY,
    maxBatches: QUERIES_PER_SCRAPE,
  });
}
